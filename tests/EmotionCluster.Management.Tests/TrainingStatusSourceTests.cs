using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EmotionCluster.Management.Tests;

public sealed class TrainingStatusSourceTests
{
    [Fact]
    public void A_progress_report_that_comes_back_late_does_not_undo_the_end_of_the_run()
    {
        var board = new EmotionCluster.TrainingActors.TrainingStatusBoard();
        var last = new EmotionCluster.TrainingActors.TrainingProgress("r", 3, 3, 9, 9, 0.5, 80, 1, "n", DateTimeOffset.UtcNow);
        board.Report(last);                                            // the coordinator's own report
        board.SetState("finished", "r", "finished 9 steps, 3 epochs"); // its end of the run
        board.Report(last);                                            // the same report, back through DistributedPubSub
        Assert.Equal(("finished", "finished 9 steps, 3 epochs"), (board.Current.State, board.Current.Message));
        board.Report(last with { RunId = "r2", Step = 1 });            // another run's first step is newer
        Assert.Equal(("r2", 3), (board.Current.RunId, board.LastProgress?.Epoch));
        Assert.StartsWith("step 1/9", board.Current.Message);
    }
}
