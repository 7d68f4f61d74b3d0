using Xunit;

// Torch's random generator and thread count are process-wide: tests that train must not run concurrently.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
