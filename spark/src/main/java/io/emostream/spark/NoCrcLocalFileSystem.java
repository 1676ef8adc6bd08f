package io.emostream.spark;

import org.apache.hadoop.fs.LocalFileSystem;

/**
 * The local file system ({@code file:}) without Hadoop's {@code .crc} side files: the job's checkpoint and state files
 * are written every micro-batch, and the checksummed file system doubles the files created and renamed. Still a
 * {@link LocalFileSystem}, which the RocksDB state store's file manager requires ({@code FileSystem.getLocal} casts to
 * it; {@code RawLocalFileSystem} fails there). Files still appear by atomic rename. Over {@link NoForkRawLocalFileSystem}:
 * no {@code chmod} process per file created.
 */
public final class NoCrcLocalFileSystem extends LocalFileSystem {
    public NoCrcLocalFileSystem() {
        super(new NoForkRawLocalFileSystem());
        setWriteChecksum(false);
        setVerifyChecksum(false);
    }
}
