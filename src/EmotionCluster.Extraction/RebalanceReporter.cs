using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.Extraction;

/// <summary>
/// Reports membership changes and, after a member leaves or is downed, which shards this node hosts now
/// (the rebalance), as one record in the node's log (the given ILogger: the node's console, where an Information
/// record begins the line, and the log ring of <c>ctl log peek</c>): <c>rebalance: member … removed; this node hosts N shards: …</c>.
/// It also looks at the shards this node hosts every <c>poll</c> interval and writes
/// <c>shards: this node hosts N shards: …</c> whenever the set changed, so shards that arrive later (a removed member's
/// shards are allocated anew when work for them comes) show up too.
/// </summary>
public sealed class RebalanceReporter : ReceiveActor, IWithTimers
{
    private sealed record Report(string Removed);
    private sealed record Poll;
    private readonly TimeSpan _poll;
    private string _lastShards = "";

    public ITimerScheduler Timers { get; set; } = null!;

    public RebalanceReporter(IActorRef region, ILogger log, TimeSpan settle, TimeSpan poll)
    {
        _poll = poll;
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        string self = cluster.SelfAddress.ToString();
        Receive<ClusterEvent.MemberUp>(m => log.LogInformation($"member up: {m.Member.Address} roles={string.Join(',', m.Member.Roles)}"));
        Receive<ClusterEvent.UnreachableMember>(m => log.LogWarning($"member unreachable: {m.Member.Address}"));
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            log.LogInformation($"member removed: {m.Member.Address}");
            if (m.Member.Address.ToString() != self) Timers.StartSingleTimer("report-" + m.Member.Address, new Report(m.Member.Address.ToString()), settle);
        });
        ReceiveAsync<Report>(async r =>
        {
            try
            {
                var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
                var shards = state.Shards.Select(s => s.ShardId).OrderBy(s => s, StringComparer.Ordinal).ToList();
                log.LogInformation($"rebalance: member {r.Removed} removed; this node hosts {shards.Count} shards: {string.Join(',', shards)}");
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                log.LogWarning($"rebalance: member {r.Removed} removed; shard state did not answer in time");
            }
        });
        ReceiveAsync<Poll>(async _ =>
        {
            try
            {
                var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
                string shards = string.Join(',', state.Shards.Select(s => s.ShardId).OrderBy(s => s, StringComparer.Ordinal));
                if (shards == _lastShards) return;
                _lastShards = shards;
                log.LogInformation($"shards: this node hosts {state.Shards.Count} shards: {shards}");
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException) { /* next poll */ }
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("poll", new Poll(), _poll);

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    public static Props PropsFor(IActorRef region, ILogger log, TimeSpan? settle = null, TimeSpan? poll = null) =>
        Props.Create(() => new RebalanceReporter(region, log, settle ?? TimeSpan.FromSeconds(3), poll ?? TimeSpan.FromSeconds(2)));
}
