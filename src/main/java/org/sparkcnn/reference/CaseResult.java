package org.sparkcnn.reference;

/** Outcome of one case: {@code message} says what differs, empty when it passed. */
public record CaseResult(String name, boolean passed, String message) {
    /** The line ReferenceCheck prints: {@code PASS name} or {@code FAIL name: message}. */
    public String line() {
        return passed ? "PASS " + name : "FAIL " + name + ": " + message;
    }
}
