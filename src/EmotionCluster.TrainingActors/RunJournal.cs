using Akka.Actor;
using EmotionCluster.Evaluator;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// Where a command records what its jobs produced beyond the trainer's own records: a cross-validation's folds and
/// summary, where each run's results went (<see cref="RecordArtifacts"/>).
/// </summary>
public interface IRunJournal
{
    /// <summary>Records <paramref name="command"/> and returns once the journal has it (a duplicate counts as recorded).</summary>
    /// <exception cref="InvalidOperationException">the evaluator refused it (the message says why) or never answered.</exception>
    void Record(IEvaluatorCommand command, CancellationToken cancellationToken = default);
}

/// <summary>
/// <see cref="IRunJournal"/> over a node's evaluator region (<see cref="EvaluatorRegion"/>): each command asked until
/// acknowledged (every command is idempotent, so a retry after a lost answer is safe), a refusal thrown.
/// </summary>
public sealed class EvaluatorRunJournal(IActorRef region) : IRunJournal
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    public const int Attempts = 6;

    /// <summary>The journal of a node's evaluator region; null when the node has none (no journal configured).</summary>
    public static EvaluatorRunJournal? Of(ActorSystem system) =>
        Akka.Hosting.ActorRegistry.For(system).TryGet<EvaluatorRegion>(out var region) ? new EvaluatorRunJournal(region) : null;

    public void Record(IEvaluatorCommand command, CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            object reply;
            try
            {
                reply = region.Ask<object>(command, AskTimeout, cancellationToken).GetAwaiter().GetResult();
            }
            catch (AskTimeoutException) when (attempt < Attempts)
            {
                continue;
            }
            catch (AskTimeoutException e)
            {
                throw new InvalidOperationException($"the evaluator did not acknowledge {command.GetType().Name} of run {command.RunId} " +
                                                    $"in {Attempts} tries of {AskTimeout.TotalSeconds:0} s; is the journal reachable?", e);
            }
            switch (reply)
            {
                case EvaluatorAck:
                    return;
                case EvaluatorRejected rejected:
                    throw new InvalidOperationException($"the evaluator refused {command.GetType().Name} of run {command.RunId}: {rejected.Reason}");
                default:
                    throw new InvalidOperationException($"the evaluator answered {command.GetType().Name} of run {command.RunId} with {reply.GetType().Name}");
            }
        }
    }
}
