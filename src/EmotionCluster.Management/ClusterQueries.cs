using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace EmotionCluster.Management;

/// <summary>The cluster and sharding views of the management API, built from one node's actor system.</summary>
public static class ClusterQueries
{
    // Member.UpNumber (the order in which members became Up; the oldest member has the lowest) is internal in
    // Akka.NET 1.5; read it by reflection, and answer null should a future version drop it.
    private static readonly PropertyInfo? UpNumberProperty =
        typeof(Member).GetProperty("UpNumber", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    public static int? UpNumber(Member m) =>
        m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting && UpNumberProperty?.GetValue(m) is int n && n != int.MaxValue
            ? n : null;

    public static string StatusName(MemberStatus s) => s switch
    {
        MemberStatus.WeaklyUp => "WeaklyUp",
        _ => s.ToString(),
    };

    public static ClusterView Show(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        ClusterEvent.CurrentClusterState state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new MemberView(m.Address.ToString(), m.Roles.OrderBy(r => r, StringComparer.Ordinal).ToList(),
                StatusName(m.Status), UpNumber(m), !unreachable.Contains(m.Address)))
            .ToList();
        return new ClusterView(cluster.SelfAddress.ToString(), StatusName(cluster.SelfMember.Status), state.Leader?.ToString(),
            members, unreachable.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>This node's remoting associations with the cluster's view of each remote address (member status, uid).</summary>
    public static RemoteConnectionsView Connections(ActorSystem system, RemoteAssociations associations)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var members = cluster.State.Members.Concat(cluster.State.Unreachable)
            .GroupBy(m => m.Address.ToString())
            .ToDictionary(g => g.Key, g => (StatusName(g.First().Status), (long)g.First().UniqueAddress.Uid));
        return associations.View(cluster.SelfAddress.ToString(), cluster.SelfUniqueAddress.Uid, members);
    }

    /// <summary>Parses an address given by a user and checks that it is a current member; throws 400/404 otherwise.</summary>
    public static Address MemberAddress(ActorSystem system, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ManagementException(400, "no address given; send {\"address\": \"akka.tcp://system@host:port\"} (see cluster show)");
        Address address;
        try { address = Address.Parse(text.Trim()); }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw new ManagementException(400, $"'{text}' is not an actor system address like akka.tcp://{system.Name}@127.0.0.1:4053: {e.Message}");
        }
        if (address.Host is null || address.Port is null)
            throw new ManagementException(400, $"'{text}' has no host and port; use akka.tcp://{system.Name}@host:port");
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (!cluster.State.Members.Any(m => m.Address.Equals(address)))
            throw new ManagementException(404, $"{address} is not a member of this cluster; members: " +
                string.Join(", ", cluster.State.Members.Select(m => m.Address.ToString())));
        return address;
    }

    /// <summary>Marks every member this node sees as unreachable down (pbm's <c>cluster down-unreachable</c>).</summary>
    public static DownUnreachableResult DownUnreachable(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var unreachable = cluster.State.Unreachable.Select(m => m.Address).OrderBy(a => a.ToString(), StringComparer.Ordinal).ToList();
        foreach (Address a in unreachable) cluster.Down(a);
        return new DownUnreachableResult(unreachable.Select(a => a.ToString()).ToList(), unreachable.Count == 0
            ? "no unreachable members; nothing marked down"
            : $"marked down {unreachable.Count} unreachable member(s): {string.Join(", ", unreachable)}; they are removed without a hand-over");
    }

    /// <summary>
    /// Makes this node join the cluster of <paramref name="text"/> (e.g. when its seeds were wrong or not up yet);
    /// 409 when it is a member already. Akka joins a node once: to move a member to another cluster, restart it.
    /// </summary>
    public static MembershipCommandResult Join(ActorSystem system, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ManagementException(400, "no address given; send {\"address\": \"akka.tcp://system@host:port\"} (a member of the cluster to join)");
        Address address;
        try { address = Address.Parse(text.Trim()); }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw new ManagementException(400, $"'{text}' is not an actor system address like akka.tcp://{system.Name}@127.0.0.1:4053: {e.Message}");
        }
        if (address.Host is null || address.Port is null)
            throw new ManagementException(400, $"'{text}' has no host and port; use e.g. akka.tcp://{system.Name}@127.0.0.1:4053");
        if (address.System != system.Name)
            throw new ManagementException(400, $"{address} is an actor system named '{address.System}'; this node's is '{system.Name}' and can only join that");
        var cluster = Akka.Cluster.Cluster.Get(system);
        MemberStatus self = cluster.SelfMember.Status;
        bool others = cluster.State.Members.Any(m => !m.Address.Equals(cluster.SelfAddress));
        if (others || self is not (MemberStatus.Removed or MemberStatus.Joining))
            throw new ManagementException(409, $"this node is already a member ({StatusName(self)}) of a cluster" +
                (cluster.State.Members.Any(m => m.Address.Equals(address)) ? $" that {address} is in" : "") +
                "; a node joins once: restart it with --seed ADDR to move it to another cluster");
        cluster.Join(address);
        return new MembershipCommandResult("join", address.ToString(),
            $"{cluster.SelfAddress} asked to join the cluster of {address}; see cluster show (or cluster tail) for when it is Up");
    }

    public static MembershipCommandResult Leave(ActorSystem system, string? text)
    {
        Address address = MemberAddress(system, text);
        Akka.Cluster.Cluster.Get(system).Leave(address);
        return new MembershipCommandResult("leave", address.ToString(),
            $"{address} asked to leave: its shards are handed over, then it exits and shuts down");
    }

    public static MembershipCommandResult Down(ActorSystem system, string? text)
    {
        Address address = MemberAddress(system, text);
        Akka.Cluster.Cluster.Get(system).Down(address);
        return new MembershipCommandResult("down", address.ToString(),
            $"{address} marked down: it is removed without a hand-over; its shards restart elsewhere on demand");
    }

    public static IReadOnlyList<string> RegionTypeNames(ActorSystem system) =>
        ClusterSharding.Get(system).ShardTypeNames.Order(StringComparer.Ordinal).ToList();

    public static IActorRef Region(ActorSystem system, string typeName)
    {
        var sharding = ClusterSharding.Get(system);
        if (!sharding.ShardTypeNames.Contains(typeName))
            throw new ManagementException(404, $"no shard region '{typeName}' on this node; regions here: " +
                (sharding.ShardTypeNames.Count == 0 ? "none" : string.Join(", ", sharding.ShardTypeNames.Order(StringComparer.Ordinal))));
        return sharding.ShardRegion(typeName);
    }

    /// <summary>Shards and entities this node hosts per region (a proxy hosts none).</summary>
    public static async Task<RegionsView> RegionsAsync(ActorSystem system, TimeSpan timeout)
    {
        var views = await Task.WhenAll(RegionTypeNames(system).Select(async name =>
        {
            try
            {
                var state = await Region(system, name).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout);
                return new RegionView(name, state.Shards.Count, state.Shards.Sum(s => s.EntityIds.Count), null);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                return new RegionView(name, 0, 0, $"region did not answer within {timeout.TotalSeconds:0.#} s");
            }
        }));
        return new RegionsView(Akka.Cluster.Cluster.Get(system).SelfAddress.ToString(), views);
    }

    /// <summary>Shards and entity counts of every node of one region type, from the shard coordinator's view.</summary>
    public static async Task<ShardingStatsView> StatsAsync(ActorSystem system, string typeName, TimeSpan timeout)
    {
        IActorRef region = Region(system, typeName);
        ClusterShardingStats stats;
        try
        {
            // The region gives the coordinator `timeout` to collect from every region; allow a margin for the reply.
            stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            throw new ManagementException(503, $"shard region '{typeName}' did not answer within {timeout.TotalSeconds:0.#} s; is the shard coordinator up?");
        }
        return ToView(typeName, stats);
    }

    public static ShardingStatsView ToView(string typeName, ClusterShardingStats stats)
    {
        var nodes = stats.Regions
            .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
            .Select(r =>
            {
                var shards = r.Value.Stats.OrderBy(s => s.Key, ShardIdOrder.Instance).Select(s => new ShardView(s.Key, s.Value)).ToList();
                return new NodeShardsView(r.Key.ToString(), shards.Count, shards.Sum(s => s.Entities), shards);
            }).ToList();
        var failed = stats.Regions.SelectMany(r => r.Value.Failed).Distinct().Order(ShardIdOrder.Instance).ToList();
        return new ShardingStatsView(typeName, nodes, failed);
    }
}
