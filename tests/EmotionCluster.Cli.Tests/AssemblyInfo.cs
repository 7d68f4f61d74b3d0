using Xunit;

// Training commands set Torch's process-wide thread count and random state: no parallel test classes here.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
