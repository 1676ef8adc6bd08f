package io.emostream.spark;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class JobTest {
    @Test
    public void shipsOnlyTheJobJarAndTheKafkaConnectorToExecutors() {
        String cp = String.join(java.io.File.pathSeparator,
            "/x/lib/spark.jar", "/x/lib/spark-core_2.13-4.1.1.jar", "/x/lib/spark-sql-kafka-0-10_2.13-4.1.1.jar",
            "/x/lib/spark-token-provider-kafka-0-10_2.13-4.1.1.jar", "/x/lib/kafka-clients-3.9.1.jar",
            "/x/lib/commons-pool2-2.12.1.jar", "/x/lib/jackson-databind-2.20.0.jar", "/x/lib/spark-sql_2.13-4.1.1.jar");
        assertEquals("/x/lib/spark.jar,/x/lib/spark-sql-kafka-0-10_2.13-4.1.1.jar,"
                + "/x/lib/spark-token-provider-kafka-0-10_2.13-4.1.1.jar,/x/lib/kafka-clients-3.9.1.jar,"
                + "/x/lib/commons-pool2-2.12.1.jar",
            Job.executorJars(cp));
    }
}
