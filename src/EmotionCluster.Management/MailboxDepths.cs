using System.Text.RegularExpressions;
using Akka.Actor;

namespace EmotionCluster.Management;

/// <summary>
/// Mailbox lengths of the node's key actors, read from the actors' cells (Akka's <c>ICell.NumberOfMessages</c>, the
/// length of the mailbox's message queue) without sending them anything, so a busy actor is measured too:
/// <list type="bullet">
/// <item>every top-level actor under <c>/user</c> (e.g. <c>/user/trainer</c>); actors created per connection or
/// anonymously (<c>stream-client-{guid}</c>, <c>$a</c>) are summed under one name with <c>*</c>
/// (<c>/user/stream-client-*</c>) so the number of series stays small;</item>
/// <item>every actor directly under <c>/system/sharding</c>: the shard regions, region proxies and coordinator
/// singleton managers;</item>
/// <item>per shard region type, the messages waiting in the mailboxes of all its entities on this node (region →
/// shard → entity): the region's backlog of work.</item>
/// </list>
/// </summary>
public static partial class MailboxDepths
{
    [GeneratedRegex(@"(-[0-9a-fA-F]{32}|\$[0-9A-Za-z+~]+)$")]
    private static partial Regex PerInstanceSuffix();

    /// <summary>The series name of an actor path: per-instance suffixes (<c>-{32 hex}</c>, <c>$a</c>) become <c>*</c>.</summary>
    public static string SeriesName(string path)
    {
        Match m = PerInstanceSuffix().Match(path);
        if (!m.Success) return path;
        string head = path[..m.Index];
        return m.Value[0] == '-' ? head + "-*" : head + "$*";
    }

    /// <summary>Key actors by series name (see <see cref="SeriesName"/>) and their queued messages.</summary>
    public static IReadOnlyDictionary<string, long> KeyActors(ActorSystem system)
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var extended = (ExtendedActorSystem)system;
        foreach (IInternalActorRef child in Children(extended.Guardian))
            Add(result, child);
        if (Sharding(extended) is { } sharding)
            foreach (IInternalActorRef child in Children(sharding))
                Add(result, child);
        return result;
    }

    /// <summary>Messages queued at the entities of each of <paramref name="regionTypes"/> hosted on this node.</summary>
    public static IReadOnlyDictionary<string, long> EntityBacklog(ActorSystem system, IEnumerable<string> regionTypes)
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        IInternalActorRef? sharding = Sharding((ExtendedActorSystem)system);
        foreach (string type in regionTypes)
        {
            long total = 0;
            if (sharding is not null && Child(sharding, Uri.EscapeDataString(type)) is { } region)
                foreach (IInternalActorRef shard in Children(region))
                    foreach (IInternalActorRef entity in Children(shard))
                        total += Queued(entity);
            result[type] = total;
        }
        return result;
    }

    private static void Add(IDictionary<string, long> result, IInternalActorRef actor)
    {
        string name = SeriesName(actor.Path.ToStringWithoutAddress());
        result[name] = result.TryGetValue(name, out long sum) ? sum + Queued(actor) : Queued(actor);
    }

    private static IInternalActorRef? Sharding(ExtendedActorSystem system) => Child(system.SystemGuardian, "sharding");

    private static IInternalActorRef? Child(IInternalActorRef parent, string name) =>
        parent is ActorRefWithCell withCell && withCell.GetSingleChild(name) is { } child && !child.IsNobody() ? child : null;

    private static IEnumerable<IInternalActorRef> Children(IInternalActorRef actor) =>
        actor is ActorRefWithCell { Underlying: { } cell } ? cell.ChildrenContainer.Children.OfType<IInternalActorRef>() : [];

    private static long Queued(IInternalActorRef actor) =>
        actor is ActorRefWithCell { Underlying: { } cell } ? Math.Max(0, cell.NumberOfMessages) : 0;
}
