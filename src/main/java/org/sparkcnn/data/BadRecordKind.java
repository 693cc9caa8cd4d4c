package org.sparkcnn.data;

/**
 * What is wrong with a dataset row that cannot be trained on. Each kind is counted separately so
 * that a summary tells at a glance whether the data, the import or the model's input shape is at
 * fault.
 */
public enum BadRecordKind {
    MISSING_FIELD("a required image field (height, width, nChannels, mode) is null"),
    UNDECODABLE("the pixel data is null or empty, or the mode is not an 8-bit OpenCV type"
            + " (CV_8UC1=0, CV_8UC3=16, CV_8UC4=24) matching nChannels"),
    SIZE_MISMATCH("height × width × nChannels differs from the number of data bytes"),
    SHAPE_MISMATCH("the image's channels, height or width differ from the model's input"),
    MISSING_LABEL("the label is null"),
    NOT_A_NUMBER("the label is NaN, infinite or not an integer"),
    LABEL_OUT_OF_RANGE("the label is outside [0, classes)");

    /** One human sentence, for help texts and reports. */
    public final String description;

    BadRecordKind(String description) {
        this.description = description;
    }
}
