package org.qimg.format.qcow2.check;

/** What {@code check -r} may repair: nothing, leaks only ({@code -r leaks}), or everything ({@code -r all}). */
public enum CheckMode {
    NONE(false, false),
    LEAKS(true, false),
    ALL(true, true);

    private final boolean fixLeaks;
    private final boolean fixErrors;

    CheckMode(boolean fixLeaks, boolean fixErrors) {
        this.fixLeaks = fixLeaks;
        this.fixErrors = fixErrors;
    }

    public boolean fixLeaks() {
        return fixLeaks;
    }

    public boolean fixErrors() {
        return fixErrors;
    }

    public boolean repairs() {
        return fixLeaks || fixErrors;
    }
}
