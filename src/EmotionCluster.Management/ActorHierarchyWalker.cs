using Akka.Actor;

namespace EmotionCluster.Management;

/// <summary>
/// Finds the actors under some roots (<c>/user</c>, <c>/system</c>) of the local actor system: sends
/// <see cref="Identify"/> to <c>path/*</c> and repeats for every child that answers, down to a depth. Finishes when
/// no answer came for a quiet period, at a deadline, or at a maximum number of actors, and replies an
/// <see cref="ActorTreeView"/> to whoever sent <see cref="Walk"/>. One walker per request; it stops itself.
/// </summary>
public sealed class ActorHierarchyWalker : ReceiveActor, IWithTimers
{
    public sealed record Walk(IReadOnlyList<string> Roots, int MaxDepth, int MaxActors, TimeSpan Quiet, TimeSpan Deadline);

    private sealed record DeadlineReached;

    private readonly Dictionary<string, List<string>> _children = new();
    private readonly Dictionary<string, int> _depth = new();
    private Walk _walk = null!;
    private IActorRef _replyTo = ActorRefs.Nobody;
    private bool _truncated;

    public ITimerScheduler Timers { get; set; } = null!;

    public ActorHierarchyWalker()
    {
        Receive<Walk>(Start);
        Receive<ActorIdentity>(OnIdentity);
        Receive<ReceiveTimeout>(_ => Finish());
        Receive<DeadlineReached>(_ => { _truncated = true; Finish(); });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new ActorHierarchyWalker());

    private void Start(Walk walk)
    {
        _walk = walk;
        _replyTo = Sender;
        foreach (string root in walk.Roots)
        {
            _children[root] = [];
            _depth[root] = 0;
            if (walk.MaxDepth > 0) Ask(root);
        }
        Context.SetReceiveTimeout(walk.Quiet);
        Timers.StartSingleTimer("deadline", new DeadlineReached(), walk.Deadline);
    }

    private void Ask(string path) => Context.ActorSelection(path + "/*").Tell(new Identify(path));

    private void OnIdentity(ActorIdentity identity)
    {
        if (identity.Subject is not { } subject || identity.MessageId is not string parent || !_children.ContainsKey(parent)) return;
        if (subject.Equals(Self)) return; // the walker is a child of /user itself
        string path = subject.Path.ToStringWithoutAddress();
        if (_depth.ContainsKey(path)) return;
        if (_depth.Count - _walk.Roots.Count >= _walk.MaxActors) { _truncated = true; return; }
        int depth = _depth[parent] + 1;
        _depth[path] = depth;
        _children[parent].Add(path);
        _children[path] = [];
        if (depth < _walk.MaxDepth) Ask(path);
    }

    private void Finish()
    {
        Context.SetReceiveTimeout(null);
        ActorNode Node(string path) => new(path == "/" ? "/" : path[(path.LastIndexOf('/') + 1)..], path,
            _children[path].Order(StringComparer.Ordinal).Select(Node).ToList());
        _replyTo.Tell(new ActorTreeView(_walk.MaxDepth, _truncated, _depth.Count - _walk.Roots.Count, _walk.Roots.Select(Node).ToList()));
        Context.Stop(Self);
    }
}

/// <summary>The actor hierarchy of a node, for the management API.</summary>
public static class ActorHierarchy
{
    /// <summary>Walks the actor system's /user and /system trees and returns what it found.</summary>
    public static Task<ActorTreeView> RunAsync(ActorSystem system, int maxDepth, int maxActors = 2000, TimeSpan? deadline = null)
    {
        TimeSpan limit = deadline ?? TimeSpan.FromSeconds(5);
        IActorRef walker = system.ActorOf(ActorHierarchyWalker.Props());
        return walker.Ask<ActorTreeView>(new ActorHierarchyWalker.Walk(["/user", "/system"], maxDepth, maxActors, TimeSpan.FromMilliseconds(300), limit),
            limit + TimeSpan.FromSeconds(2));
    }
}
