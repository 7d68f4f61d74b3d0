using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;

namespace EmotionCluster.Evaluator;

/// <summary>
/// The evaluator of ONE training run: a persistent actor (persistence id <c>evaluator-{runId}</c>) whose state is
/// the run's metric history (<see cref="RunHistory"/>), rebuilt from the journal when it starts again.
/// <para><b>How to use it (trainer side).</b> On a node, get the shard region with
/// <c>registry.Get&lt;EvaluatorRegion&gt;()</c> (an <c>IRequiredActor&lt;EvaluatorRegion&gt;</c> works too); it is a
/// region on nodes with the <c>evaluator</c> role and a proxy elsewhere, so it can be used from any node. Send (or
/// Ask, with a timeout) one of these, all carrying the run id; each is answered with <see cref="EvaluatorAck"/>
/// once its event is in the journal, or <see cref="EvaluatorRejected"/> with the reason:</para>
/// <list type="bullet">
/// <item><see cref="StartRun"/>(runId, settingsJson, labels) — first; labels are the class names by index.</item>
/// <item><see cref="RecordEpoch"/>.FromReport(runId, epoch, trainLoss, valLoss, ClassificationReport) — or
/// <see cref="RecordPredictions"/>(runId, epoch, trainLoss, valLoss, truth[], predicted[]) and the evaluator
/// computes the metrics. A repeated epoch number is acknowledged as a duplicate (retries are safe).</item>
/// <item><see cref="CompleteRun"/>.FromReport(runId, bestEpoch or null = best validation UAR, test report or null).</item>
/// <item><see cref="FailRun"/>(runId, reason).</item>
/// <item><see cref="GetRun"/>(runId) — answered with <see cref="RunView"/> (the history, status and best epoch; one
/// remote frame of 128 kB holds about 300 epochs of 7 classes: for longer runs read the journal with <see cref="RunCatalog"/>).</item>
/// </list>
/// <para>Without a cluster (tests, tools) use <see cref="PropsFor"/> directly; the ActorSystem needs
/// <see cref="PersistenceHosting.AddEmotionClusterPersistence"/>.</para>
/// <para>One actor per run rather than one per node: the persistence id, the recovery unit and the shard entity are
/// the run, so runs recover independently and in parallel, any evaluator node can host any run after a rebalance,
/// and a run's journal is replayed alone. There is no snapshot: a run holds at most a few hundred small epoch
/// events, which replay in milliseconds.</para>
/// </summary>
public sealed class EvaluatorActor : ReceivePersistentActor
{
    private readonly RunHistory _history;
    private readonly Stopwatch _recovery = Stopwatch.StartNew();

    public EvaluatorActor(string runId)
    {
        _history = new RunHistory(runId);
        PersistenceId = RunIds.PersistenceId(runId);

        Recover<IEvaluatorEvent>(e => _history.Apply(e));
        Recover<RecoveryCompleted>(_ => EvaluatorInstruments.RecoverySeconds.Record(_recovery.Elapsed.TotalSeconds));

        Command<GetRun>(q => Sender.Tell(q.RunId == _history.RunId
            ? _history.View
            : new EvaluatorRejected(q.RunId, $"query for run '{q.RunId}' reached the evaluator of run '{_history.RunId}'")));
        Command<IEvaluatorCommand>(Handle);
    }

    public override string PersistenceId { get; }

    public static Props PropsFor(string runId) => Props.Create(() => new EvaluatorActor(RunIds.Check(runId)));

    private void Handle(IEvaluatorCommand command)
    {
        switch (_history.Decide(command, DateTimeOffset.UtcNow))
        {
            case Decision.Persist p:
                Persist(p.Event, e =>
                {
                    _history.Apply(e);
                    EvaluatorInstruments.EventsPersisted.Add(1, new KeyValuePair<string, object?>("event", e.GetType().Name));
                    Sender.Tell(new EvaluatorAck(_history.RunId, e.GetType().Name, LastSequenceNr, Duplicate: false));
                });
                break;
            case Decision.AlreadyRecorded d:
                Sender.Tell(new EvaluatorAck(_history.RunId, d.Event, LastSequenceNr, Duplicate: true));
                break;
            case Decision.Reject r:
                EvaluatorInstruments.CommandsRejected.Add(1);
                Sender.Tell(new EvaluatorRejected(command.RunId, r.Reason));
                break;
        }
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        EvaluatorInstruments.CommandsRejected.Add(1);
        Sender.Tell(new EvaluatorRejected(_history.RunId, $"the journal failed to store {@event.GetType().Name} #{sequenceNr}: {cause.Message}"));
        base.OnPersistFailure(cause, @event, sequenceNr); // stops the actor; it recovers from the journal on the next message
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        EvaluatorInstruments.CommandsRejected.Add(1);
        Sender.Tell(new EvaluatorRejected(_history.RunId, $"the journal rejected {@event.GetType().Name} #{sequenceNr}: {cause.Message}"));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }
}
