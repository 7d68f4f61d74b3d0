using Akka.Actor;
using Akka.Cluster;

namespace EmotionCluster.Management;

/// <summary>
/// The cluster's membership events as this node saw them (the last <see cref="Capacity"/>), numbered from 1, for
/// <c>GET /api/cluster/events</c> (<c>emotioncluster ctl cluster tail</c>): joined, up, leaving, exiting, downed,
/// removed, unreachable, reachable, leader.
/// </summary>
public sealed class MembershipEvents
{
    public const int DefaultCapacity = 500;
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(25);

    private readonly MembershipEventView[] _events;
    private readonly Lock _lock = new();
    private long _total;
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MembershipEvents(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _events = new MembershipEventView[capacity];
    }

    public int Capacity => _events.Length;

    public void Add(DateTimeOffset at, string kind, string address, string detail)
    {
        TaskCompletionSource added;
        lock (_lock)
        {
            _events[_total % _events.Length] = new MembershipEventView(_total + 1, at, kind, address, detail);
            _total++;
            added = _added;
            _added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        added.TrySetResult();
    }

    /// <summary>
    /// The events after number <paramref name="after"/> (those the ring still holds; a number from before a restart
    /// of the node counts as 0); with none yet, waits up to <paramref name="wait"/> for the next. Without
    /// <paramref name="after"/>: no events, just the number of the last one (to follow from now on).
    /// </summary>
    public async Task<MembershipEventsView> WaitAsync(long? after, TimeSpan wait, CancellationToken cancel)
    {
        Task added;
        lock (_lock)
        {
            if (after is null) return new MembershipEventsView(_total, []);
            if (after > _total) after = 0;
            if (_total > after) return After(after.Value);
            added = _added.Task;
        }
        try { await added.WaitAsync(wait, cancel); }
        catch (TimeoutException) { }
        lock (_lock) return After(after.Value);
    }

    private MembershipEventsView After(long after)
    {
        int n = (int)Math.Min(_total - after, _events.Length);
        var result = new MembershipEventView[n];
        for (int i = 0; i < n; i++) result[i] = _events[(_total - n + i) % _events.Length];
        return new MembershipEventsView(_total, result);
    }
}

/// <summary>Writes the cluster's membership events into <see cref="MembershipEvents"/> (the current members first, as events).</summary>
public sealed class MembershipEventsActor : ReceiveActor
{
    public MembershipEventsActor(MembershipEvents events)
    {
        void Add(string kind, Member m, string? more = null) =>
            events.Add(DateTimeOffset.UtcNow, kind, m.Address.ToString(),
                $"roles {string.Join(',', m.Roles.Order(StringComparer.Ordinal))}{(more is null ? "" : $"; {more}")}");
        Receive<ClusterEvent.MemberJoined>(e => Add("joined", e.Member));
        Receive<ClusterEvent.MemberUp>(e => Add("up", e.Member));
        Receive<ClusterEvent.MemberWeaklyUp>(e => Add("weakly-up", e.Member));
        Receive<ClusterEvent.MemberLeft>(e => Add("leaving", e.Member));
        Receive<ClusterEvent.MemberExited>(e => Add("exiting", e.Member));
        Receive<ClusterEvent.MemberDowned>(e => Add("downed", e.Member));
        Receive<ClusterEvent.MemberRemoved>(e => Add("removed", e.Member, $"was {ClusterQueries.StatusName(e.PreviousStatus)}"));
        Receive<ClusterEvent.UnreachableMember>(e => Add("unreachable", e.Member));
        Receive<ClusterEvent.ReachableMember>(e => Add("reachable", e.Member));
        Receive<ClusterEvent.LeaderChanged>(e => events.Add(DateTimeOffset.UtcNow, "leader", e.Leader?.ToString() ?? "none", "new leader"));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    public static Props PropsFor(MembershipEvents events) => Props.Create(() => new MembershipEventsActor(events));

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
