package org.sparkcnn.registry;

/** Another run holds the registry's lock (or this run lost it): the run is refused and changes nothing. */
public final class RegistryLockedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public RegistryLockedException(String message) {
        super(message);
    }
}
