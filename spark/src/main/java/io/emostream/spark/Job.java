package io.emostream.spark;

import static org.apache.spark.sql.functions.*;

import java.util.LinkedHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Spark job: reads emoji-events from Kafka, runs {@link Aggregations}, writes the running counts of open windows
 * to emoji-live, closed windows to emoji-windows and progress reports to emoji-metrics. Only wiring lives here.
 *
 * <pre>
 *   java [Spark module flags] -Xmx1g -cp 'spark/build/runtime-libs/*' io.emostream.spark.Job --brokers 127.0.0.1:9092 ...
 *   spark-submit --master spark://host:7077 --class io.emostream.spark.Job spark.jar --brokers ...
 * </pre>
 *
 * Options: see {@link JobConfig}.
 */
public final class Job {
    private static final Logger LOG = LoggerFactory.getLogger(Job.class);
    /** Observed-metric names (per micro-batch, exact): see MetricsListener. */
    public static final String OBSERVED_INPUT = "input";
    public static final String OBSERVED_DEDUP = "dedup";
    public static final String OBSERVED_OUTPUT = "output";
    public static final String QUERY_NAME = "emoji-windows";

    private Job() {}

    public static void main(String[] args) throws Exception {
        JobConfig c = JobConfig.parse(args);
        long t0 = System.currentTimeMillis();
        SparkSession spark = session(c);
        LOG.info("spark session up in {} ms (master {}, Spark {}); checkpoint {}", System.currentTimeMillis() - t0,
            spark.sparkContext().master(), spark.version(), c.checkpointDir());

        Map<String, Object> staticFields = new LinkedHashMap<>();
        staticFields.put("window_ms", c.windowMs());
        staticFields.put("watermark_delay_ms", c.watermarkMs());
        staticFields.put("trigger_ms", c.triggerMs());
        staticFields.put("dedup_retention_ms", c.dedupRetentionMs());
        MetricsListener metrics = MetricsListener.toKafka(c.brokers(), c.metricsTopic(), staticFields);
        metrics.countsStateRows(Boolean.parseBoolean(spark.conf().get(Aggregations.ROCKSDB_TRACK_ROWS, "true")));
        spark.streams().addListener(metrics);
        WindowProducer windows = new WindowProducer(c.brokers(), c.liveTopic(), c.windowsTopic());

        // a checkpoint of an older dedup state layout is moved aside; the new one starts where it had read to
        String from = StateLayout.prepare(c.checkpointDir());
        AtomicReference<StreamingQuery> query = new AtomicReference<>(start(spark, c, windows, from));
        AtomicBoolean stopping = new AtomicBoolean(false);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            LOG.info("stopping the query");
            try {
                query.get().stop();
            } catch (Exception e) {
                LOG.warn("stopping the query", e);
            }
            windows.close();
            metrics.close();
        }, "emostream-spark-shutdown"));
        if (c.parentPid() > 0) watchParent(c.parentPid());
        for (int restarts = 0; ; restarts++) {
            try {
                query.get().awaitTermination();
                return;
            } catch (StreamingQueryException e) {
                if (stopping.get() || restarts >= MAX_KNOWN_BUG_RESTARTS || !isKafkaMetricsNpe(e)) throw e;
                // Spark 4.1.x (SPARK-55271): after a restart, the first batch re-run from the offset log reports
                // progress before the Kafka source knows the latest offsets, and the progress report throws.
                // The batch itself has run and is committed by then; starting the query again goes on from there.
                LOG.warn("query stopped by Spark's Kafka progress-metrics bug (SPARK-55271); starting it again");
                query.set(start(spark, c, windows, from));
            }
        }
    }

    static final int MAX_KNOWN_BUG_RESTARTS = 5;

    /** The NullPointerException thrown by KafkaMicroBatchStream.metrics (SPARK-55271), anywhere in the causes. */
    static boolean isKafkaMetricsNpe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NullPointerException && t.getStackTrace().length > 0) {
                StackTraceElement top = t.getStackTrace()[0];
                if (top.getClassName().startsWith("org.apache.spark.sql.kafka010.KafkaMicroBatchStream")
                    && top.getMethodName().equals("metrics")) return true;
            }
        }
        return false;
    }

    /** An orphaned job (its launcher killed with SIGKILL) would hold a core and a heap forever: exit instead. */
    private static void watchParent(long pid) {
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    return;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                LOG.warn("parent process {} is gone: stopping", pid);
                System.exit(0); // the shutdown hook stops the query
            }
        }, "emostream-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    static SparkSession session(JobConfig c) {
        SparkConf conf = new SparkConf();
        if (c.master() != null) {
            conf.setMaster(c.master());
        } else if (!conf.contains("spark.master")) {
            conf.setMaster(JobConfig.DEFAULT_MASTER); // spark-submit sets spark.master itself
        }
        conf.setAppName(c.appName())
            .set("spark.sql.session.timeZone", "UTC")
            // frozen into the checkpoint at the first run: the state has this many partitions for good
            .set("spark.sql.shuffle.partitions", String.valueOf(c.shufflePartitions()))
            // a window closes in the batch after the one that moved the watermark past it: run that batch
            // even when no new records came (a quiet stream still gets its last window)
            .set("spark.sql.streaming.noDataMicroBatches.enabled", "true")
            .set("spark.sql.streaming.minBatchesToRetain", "20")
            // at rest no micro-batch runs; the query then reports itself idle this often (MetricsListener logs it, the
            // platform's /status counts it as a sign of life): well inside SPARK_STUCK_TRIGGERS × trigger (30 s)
            .set("spark.sql.streaming.noDataProgressEventInterval", "10000")
            // RocksDB state: the dedup step's transformWithState needs it; a version loads without copying the
            // whole state (the HDFS-backed store copies its map every micro-batch), and with changelog
            // checkpointing a commit writes only the changed keys
            .set(Aggregations.STATE_STORE_PROVIDER, Aggregations.ROCKSDB_PROVIDER)
            .set(Aggregations.ROCKSDB_CHANGELOG, "true")
            // RocksDB does not count the state's rows: counting reads every key before each put and delete (whether
            // it is new), and the dedup step writes a key per new id (three, with a timer per id, before state
            // layout 2). At 20,000 records a batch the task's CPU per batch fell 20% without it (see README). The
            // progress reports then carry no state row count (state_rows null); -Dspark.sql.streaming.stateStore.
            // rocksdb.trackTotalNumberOfRows=true brings it back (Spark counts the keys once when it is switched on).
            .setIfMissing(Aggregations.ROCKSDB_TRACK_ROWS, "false")
            // Spark refuses a stateful operator (the window counts) after an arbitrary stateful one (the dedup) unless
            // told the first never emits rows older than the watermark: FirstOccurrence re-times late rows past it.
            .set(Aggregations.CHECK_CORRECTNESS, "false")
            // every task may run anywhere at once (one machine); waiting for a "local" slot only adds latency
            .set("spark.locality.wait", "0s")
            .set("spark.ui.showConsoleProgress", "false")
            // Expressions are interpreted, not compiled: the stateful steps' watermark predicates embed the batch's
            // watermark, so their code is new and compiled again every batch, and at ~1,000 rows a batch compiling
            // cost more than running (see README). NO_CODEGEN also turns whole-stage code generation off (Spark's
            // CollapseCodegenStages plans none under it), so the per-row pipelines are interpreted too; at 20,000
            // rows a batch the default (FALLBACK: compiled, whole-stage code on) was not cheaper either (see README).
            .setIfMissing("spark.sql.codegen.factoryMode", "NO_CODEGEN")
            // every micro-batch is a SQL execution whose plan description is built for the listener bus, UI or not;
            // the simple form is the cheapest (the UI's SQL tab then shows the physical plan tree, without the
            // formatted per-node details: -Dspark.sql.ui.explainMode=formatted brings them back)
            .setIfMissing("spark.sql.ui.explainMode", "simple")
            // Checkpoint and state files on a local disk (file:) without Hadoop's .crc side files: the offset and
            // commit logs and the state files are written every micro-batch, and the checksummed file system
            // doubles the files created and renamed (about half of walCommit/commitOffsets, see README). Files
            // still appear by atomic rename; other schemes (hdfs:, s3a:) are not affected. The FileSystem must stay
            // a LocalFileSystem for the RocksDB state store (NoCrcLocalFileSystem). Both also start no process per file:
            // without Hadoop's native library its local file system ran chmod for each file created and readlink for each
            // rename (FileContext), ~10 forks of this JVM per micro-batch (NoForkRawLocalFileSystem, see README).
            .setIfMissing("spark.hadoop.fs.file.impl", NoCrcLocalFileSystem.class.getName())
            .setIfMissing("spark.hadoop.fs.AbstractFileSystem.file.impl", NoForkLocalFs.class.getName())
            .set("spark.ui.enabled", String.valueOf(c.uiPort() > 0));
        if (c.uiPort() > 0) conf.set("spark.ui.port", String.valueOf(c.uiPort()));
        if (conf.get("spark.master").startsWith("local")) {
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        } else if (!conf.contains("spark.jars")) {
            // Launched by the platform (plain java, client mode) against a cluster: executors need this job's
            // jar and the Kafka connector, which spark-submit would ship with --packages.
            conf.set("spark.jars", executorJars(System.getProperty("java.class.path")));
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /** The jars executors need from a driver classpath: ours, the Kafka connector and its dependencies. */
    static String executorJars(String classPath) {
        return java.util.Arrays.stream(classPath.split(java.io.File.pathSeparator))
            .filter(p -> p.matches("(.*/)?(spark|spark-sql-kafka-0-10_[^/]*|spark-token-provider-kafka-0-10_[^/]*|kafka-clients-[^/]*|commons-pool2-[^/]*)\\.jar"))
            .collect(java.util.stream.Collectors.joining(","));
    }

    /** Logs an invalid record with its partition and offset; returns false so that a filter drops it. */
    private static final UserDefinedFunction SET_ASIDE = udf(
        (UDF3<Integer, Long, String, Boolean>) (partition, offset, raw) -> {
            SetAside.invalid(partition, offset, raw);
            return false;
        },
        DataTypes.BooleanType).asNondeterministic();

    /** The query; {@code from}: the Kafka offsets a new checkpoint starts from (null: the starting-offsets option). */
    static StreamingQuery start(SparkSession spark, JobConfig c, WindowProducer windows, String from) throws Exception {
        Aggregations.Settings s = c.settings();
        DataStreamReader reader = spark.readStream()
            .format("kafka")
            .option("kafka.bootstrap.servers", c.brokers())
            .option("subscribe", c.eventsTopic())
            .option("kafka.isolation.level", "read_committed")
            // the ListOffsets requests Spark sends after each poll must not queue behind a fetch parked at the broker
            .option("kafka.fetch.max.wait.ms", String.valueOf(c.sourceFetchMaxWaitMs()))
            // first run only; afterwards the checkpoint's offsets win
            .option("startingOffsets", from != null ? from : c.startingOffsets())
            // retention may delete unread records while the job is down: carry on rather than fail
            .option("failOnDataLoss", "false");
        // TLS / SASL (KAFKA_SECURITY_PROTOCOL and companions), as the Kafka source takes client settings
        for (Map.Entry<String, String> e : KafkaClientProperties.load().entrySet()) reader = reader.option("kafka." + e.getKey(), e.getValue());
        if (c.maxOffsetsPerTrigger() > 0) reader = reader.option("maxOffsetsPerTrigger", c.maxOffsetsPerTrigger());
        Dataset<Row> kafka = reader.load();

        Dataset<Row> classified = Aggregations.classify(kafka)
            .observe(OBSERVED_INPUT,
                // Kafka records: a packed record's events are rows of their own, its first at position 0
                count(when(col("position").equalTo(0), 1)).as("records"),
                count(when(col("kind").equalTo(Schemas.KIND_EVENT), 1)).as("events"),
                count(when(col("kind").equalTo(Schemas.KIND_TICK), 1)).as("ticks"),
                count(when(col("kind").equalTo(Schemas.KIND_INVALID), 1)).as("invalid"))
            // invalid records are logged with their offset and set aside; they never reach the watermark
            .filter(col("kind").notEqual(lit(Schemas.KIND_INVALID)).or(SET_ASIDE.apply(col("partition"), col("offset"), col("raw"))));

        Dataset<Row> first = Aggregations.firstOccurrences(classified, s)
            .observe(OBSERVED_DEDUP,
                count(when(col("kind").equalTo(FirstOccurrence.KIND_DUPLICATE), 1)).as("duplicates"),
                count(when(col("kind").equalTo(FirstOccurrence.KIND_LATE), 1)).as("late"));

        Dataset<Row> windowRows = Aggregations.liveAndClosedWindows(first, s)
            .observe(OBSERVED_OUTPUT,
                count(when(col("kind").equalTo(WindowCounter.KIND_LIVE), 1)).as("live"),
                count(when(col("kind").equalTo(WindowCounter.KIND_CLOSED), 1)).as("closed"));

        // Each micro-batch holds a live record for every window that got events in it, a clock row, and Spark's
        // closed row of every window whose timeout fired in it: a few rows, collected on the driver. The closer
        // writes a window's record in the batch that moved the watermark past it (one batch before Spark's timeout)
        // and drops Spark's identical closed row when it comes; live records are sent first.
        WindowCloser closer = new WindowCloser(s.watermarkMs(), c.tickLivenessMs());
        VoidFunction2<Dataset<Row>, Long> writeWindows = (batch, batchId) -> {
            List<Row> rows = batch.select(WindowCloser.COLUMNS[0], java.util.Arrays.copyOfRange(WindowCloser.COLUMNS, 1, WindowCloser.COLUMNS.length)).collectAsList();
            if (rows.isEmpty()) return;
            WindowCloser.Out out = closer.batch(batchId, rows);
            if (out.live().isEmpty() && out.closed().isEmpty()) return;
            windows.send(out.live(), out.closed());
            BatchStats.windows(batchId, out.closed().size(), out.latestClosedEndMs(), out.closedOnTicks(), closer.corrections());
            if (!out.closed().isEmpty()) {
                LOG.info("batch {}: wrote {} window(s) ({} closed on the driver's watermark, {} of them on the instances' ticks), {} ms after the latest window's end",
                    batchId, out.closed().size(), out.closedEarly(), out.closedOnTicks(), System.currentTimeMillis() - out.latestClosedEndMs());
            }
        };

        return windowRows.writeStream()
            .queryName(QUERY_NAME)
            .outputMode("append")
            .trigger(Trigger.ProcessingTime(c.triggerMs(), TimeUnit.MILLISECONDS))
            .option("checkpointLocation", c.checkpointDir().toString())
            .foreachBatch(writeWindows)
            .start();
    }
}
