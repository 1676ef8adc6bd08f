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

    @Test
    public void recognisesOnlySparksKafkaMetricsNpe() {
        NullPointerException npe = new NullPointerException("Option.get() is null");
        npe.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("org.apache.spark.sql.kafka010.KafkaMicroBatchStream$", "metrics", "KafkaMicroBatchStream.scala", 520)});
        org.junit.Assert.assertTrue(Job.isKafkaMetricsNpe(new RuntimeException("query failed", npe)));

        NullPointerException other = new NullPointerException("ours");
        other.setStackTrace(new StackTraceElement[] {new StackTraceElement("io.emostream.spark.Job", "start", "Job.java", 1)});
        org.junit.Assert.assertFalse(Job.isKafkaMetricsNpe(new RuntimeException("query failed", other)));
        org.junit.Assert.assertFalse(Job.isKafkaMetricsNpe(new IllegalStateException("no cause")));
    }
}
