namespace EmotionCluster.Hosting;

/// <summary>
/// Where this node's trainer writes its best model (the trainer's <c>EmotionCluster:Training:BestModelOutput</c>, bound
/// once with the trainer's settings); empty when it writes none. The node's model announcer publishes a file left there
/// from before, so predictors started later get it.
/// </summary>
public sealed record BestModelFile(string Path);
