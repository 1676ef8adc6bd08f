package io.emostream.spark;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.FsConstants;
import org.apache.hadoop.fs.FsServerDefaults;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.local.LocalConfigKeys;

/**
 * The {@code file:} scheme for Hadoop's {@code FileContext} (what Spark's checkpoint file manager uses on a local disk):
 * Hadoop's {@code RawLocalFs} over {@link NoForkRawLocalFileSystem} instead of its own RawLocalFileSystem, so that
 * creating and renaming checkpoint files starts no {@code chmod} or {@code readlink} process. Set as
 * {@code fs.AbstractFileSystem.file.impl}.
 */
public final class NoForkLocalFs extends DelegateToFileSystem {
    public NoForkLocalFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
        super(uri, new NoForkRawLocalFileSystem(), conf, FsConstants.LOCAL_FS_URI.getScheme(), false);
    }

    @Override
    public int getUriDefaultPort() {
        return -1; // as RawLocalFs: file: has no port
    }

    @Override
    public FsServerDefaults getServerDefaults(Path f) throws IOException {
        return LocalConfigKeys.getServerDefaults();
    }

    @Override
    @SuppressWarnings("deprecation")
    public FsServerDefaults getServerDefaults() throws IOException {
        return LocalConfigKeys.getServerDefaults();
    }

    @Override
    public boolean isValidName(String src) {
        return true; // as RawLocalFs: any local path
    }
}
