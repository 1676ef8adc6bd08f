package io.emostream.streams;

import org.rocksdb.RocksDB;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Loads RocksDB's native library without breaking the Node process we live in. Loading librocksdbjni resets
 * the process's SIGCHLD handler to the default; Node (libuv) installs that handler once, at its first child
 * process, and never again while a child lives — so afterwards Node never learns that a child process
 * (the Kafka broker, the Spark job, tsx's esbuild) exited: `child.on('exit')` never fires, and a stop() that
 * waits for it hangs. Measured here: SigCgt loses SIGCHLD exactly at RocksDB.loadLibrary().
 *
 * The handler in place before the load (libuv's) is read through sun.misc.Signal (which hands back a
 * foreign handler as a native address) and put back right after. The read swaps in SIG_DFL for a moment
 * and restores it at once; a SIGCHLD landing in those microseconds is not lost for good, as libuv reaps
 * every exited child on the next SIGCHLD.
 */
public final class NativeLibraries {
    private static boolean loaded;

    private NativeLibraries() {}

    public static synchronized void loadRocksDbKeepingSigchld() {
        if (loaded) return;
        Signal chld = new Signal("CHLD");
        SignalHandler before = Signal.handle(chld, SignalHandler.SIG_DFL);
        Signal.handle(chld, before);
        try {
            RocksDB.loadLibrary();
        } finally {
            Signal.handle(chld, before);
        }
        loaded = true;
    }
}
