using Akka.Actor;
using Akka.Configuration;
using EmotionCluster.TrainingActors;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>Fold-parallel cross-validation on the node that dispatches the folds.</summary>
public class FoldDispatcherTests
{
    [Fact]
    public async Task Folds_waiting_on_a_node_whose_actor_system_stops_fail_with_a_message_instead_of_hanging()
    {
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = WARNING
            """);
        var system = ActorSystem.Create("emotioncluster", config);
        var trainer = new ClusterFoldTrainer(system);
        var folds = Task.Run(() => trainer.TrainFolds([new FoldJob("run-a", "/nowhere/manifest.json", "/nowhere/model.ecm", "/nowhere/ckpt")]));
        await Task.Delay(500);
        Assert.False(folds.IsCompleted); // no trainer node in the cluster: the fold waits for one
        await system.Terminate(); // as when the split-brain resolver downs this node
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => folds.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("actor system stopped", e.Message);
        Assert.Contains("run the crossval again", e.Message);
    }
}
