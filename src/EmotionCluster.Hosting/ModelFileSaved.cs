namespace EmotionCluster.Hosting;

/// <summary>
/// A node wrote a model artifact that predictors should use (the trainer's new best model). Published on the local
/// actor system's event stream only (never sent over the wire): the streaming part of the node picks it up and sends
/// the file's bytes to every predictor node.
/// </summary>
public sealed record ModelFileSaved(string Path, string RunId, int Epoch, double ValidationUar);
