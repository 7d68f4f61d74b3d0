using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using EmotionCluster.Model;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// One run's epochs as the <see cref="TrainingTopics.Evaluation"/> topic carries them (<see cref="EpochMetrics"/>): each
/// reported as progress when it comes, and the run's history once it ended. An epoch reported again (a restarted
/// coordinator, or one that took over) replaces the earlier report. Disposing stops listening.
/// </summary>
public sealed class RunEpochs : IDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _listener;
    private readonly IProgress<EpochReport>? _progress;
    private readonly List<EpochReport> _history = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RunEpochs(ActorSystem system, string runId, IProgress<EpochReport>? progress)
    {
        _system = system;
        _progress = progress;
        var subscribed = _subscribed;
        Action<EpochMetrics> onEpoch = OnEpoch;
        _listener = system.ActorOf(Props.Create(() => new EpochListener(runId, subscribed, onEpoch)));
    }

    /// <summary>Completes once the listener is subscribed to the topic: start the run after it, or its first epochs may be missed.</summary>
    public Task Subscribed => _subscribed.Task;

    private void OnEpoch(EpochMetrics m)
    {
        var report = new EpochReport(m.Epoch, m.LearningRate, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy,
            m.ValidationUar, m.IsBest, TimeSpan.FromSeconds(m.Seconds));
        lock (_history)
        {
            _history.RemoveAll(e => e.Epoch == report.Epoch);
            _history.Add(report);
        }
        _progress?.Report(report);
    }

    /// <summary>
    /// The run's epochs in order, once <paramref name="epochsRun"/> of them are here or after 10 s (the last epoch's
    /// event may still be on its way through the topic when the run's answer arrives).
    /// </summary>
    public async Task<List<EpochReport>> AfterAsync(int epochsRun, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Count < epochsRun && DateTime.UtcNow < deadline) await Task.Delay(20, cancellationToken);
        lock (_history) return _history.OrderBy(e => e.Epoch).ToList();
    }

    private int Count
    {
        get { lock (_history) return _history.Count; }
    }

    public void Dispose() => _system.Stop(_listener);

    /// <summary>Subscribes to the epoch topic and hands one run's events to a callback.</summary>
    private sealed class EpochListener : ReceiveActor
    {
        public EpochListener(string runId, TaskCompletionSource subscribed, Action<EpochMetrics> onEpoch)
        {
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(TrainingTopics.Evaluation, Self));
            Receive<SubscribeAck>(_ => subscribed.TrySetResult());
            Receive<EpochMetrics>(m => m.RunId == runId, onEpoch);
            Receive<EpochMetrics>(_ => { });
        }
    }
}
