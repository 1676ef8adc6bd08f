package io.emostream.streams;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds RocksDB's off-heap memory: every store instance (one per task and window segment) shares one block
 * cache and counts its memtables against it. Without this each instance takes its own 50 MiB cache and
 * 3×16 MiB memtables, and this JVM lives inside the Node API process. Pattern from the Kafka Streams
 * memory-management docs. The size is set once per JVM from the config (rocksdb.cache.bytes).
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {
    public static final String CACHE_BYTES = "emostream.rocksdb.cache.bytes";
    private static Cache cache;
    private static WriteBufferManager writeBuffers;

    private static synchronized void init(long bytes) {
        if (cache != null) return;
        cache = new LRUCache(bytes, -1, false, 0.1);
        writeBuffers = new WriteBufferManager(bytes / 2, cache);
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Object v = configs.get(CACHE_BYTES);
        init(v == null ? 32L << 20 : Long.parseLong(v.toString()));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBuffers);
        options.setMaxWriteBufferNumber(2);
        options.setWriteBufferSize(4L << 20);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // shared cache and write-buffer manager: never closed per store
    }
}
