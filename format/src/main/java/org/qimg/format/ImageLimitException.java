package org.qimg.format;

/** A structure in the image is larger than qimg is willing to hold in memory or than the format allows. */
public class ImageLimitException extends ImageException {
    private static final long serialVersionUID = 1L;

    public ImageLimitException(String message) {
        super(message);
    }
}
