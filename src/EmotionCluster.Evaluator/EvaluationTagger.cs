using Akka.Persistence.Journal;

namespace EmotionCluster.Evaluator;

/// <summary>
/// Write-event adapter of the journal: wraps every <see cref="IEvaluatorEvent"/> in <see cref="Tagged"/> with
/// <see cref="EvaluatorTags.All"/> and <see cref="EvaluatorTags.Run"/>, so the read side can query all runs or one
/// run by tag. Registered by <see cref="PersistenceHosting.AddEmotionClusterPersistence"/>.
/// </summary>
public sealed class EvaluationTagger : IWriteEventAdapter
{
    public const string AdapterName = "evaluation-tagger";

    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt is IEvaluatorEvent e
        ? new Tagged(evt, [EvaluatorTags.All, EvaluatorTags.Run(e.RunId)])
        : evt;
}
