namespace EmotionCluster.Management;

// The JSON shapes of the management API (camelCase on the wire). The ctl client reads the same shapes.

/// <summary>Every error the API answers: one sentence naming the problem and what to do.</summary>
public sealed record ApiError(string Error);

public sealed record MemberView(string Address, IReadOnlyList<string> Roles, string Status, int? UpNumber, bool Reachable);

public sealed record ClusterView(
    string Self,
    string SelfStatus,
    string? Leader,
    IReadOnlyList<MemberView> Members,
    IReadOnlyList<string> Unreachable);

/// <summary>Body of <c>POST /api/cluster/leave</c> and <c>/api/cluster/down</c>.</summary>
public sealed record AddressRequest(string? Address);

public sealed record MembershipCommandResult(string Action, string Address, string Message);

/// <summary>Answer of <c>POST /api/cluster/down-unreachable</c>: the members marked down (none when all were reachable).</summary>
public sealed record DownUnreachableResult(IReadOnlyList<string> Downed, string Message);

/// <summary>One membership event: its number on this node, when this node saw it, what (joined, up, …), whom.</summary>
public sealed record MembershipEventView(long Seq, DateTimeOffset Timestamp, string Kind, string Address, string Detail);

/// <summary>Answer of <c>GET /api/cluster/events</c>: events after the asked number, and the number of the last one.</summary>
public sealed record MembershipEventsView(long Last, IReadOnlyList<MembershipEventView> Events);

/// <summary>
/// One remoting association of this node (<c>GET /api/remote/connections</c>): the remote address, who opened it
/// (inbound: the remote system), its state (associated, disassociated, error, quarantined) and since when, the remote
/// system's uid and cluster status when it is a member (null otherwise), and what went wrong for error/quarantined.
/// </summary>
public sealed record RemoteConnectionView(string Address, string Direction, string State, DateTimeOffset Since, long? Uid, string? MemberStatus, string? Detail);

/// <summary>Answer of <c>GET /api/remote/connections</c>: this node, its uid, since when associations are recorded, the associations.</summary>
public sealed record RemoteConnectionsView(string Self, long? SelfUid, DateTimeOffset? TrackingSince, IReadOnlyList<RemoteConnectionView> Connections);

/// <summary>A shard region type started on this node; shard and entity counts are those hosted here (0 for a proxy).</summary>
public sealed record RegionView(string TypeName, int LocalShards, int LocalEntities, string? Problem);

public sealed record RegionsView(string Node, IReadOnlyList<RegionView> Regions);

public sealed record ShardView(string ShardId, int Entities);

public sealed record NodeShardsView(string Address, int ShardCount, int EntityCount, IReadOnlyList<ShardView> Shards);

public sealed record ShardingStatsView(string TypeName, IReadOnlyList<NodeShardsView> Nodes, IReadOnlyList<string> FailedShards);

public sealed record ActorNode(string Name, string Path, IReadOnlyList<ActorNode> Children);

public sealed record ActorTreeView(int Depth, bool Truncated, int Count, IReadOnlyList<ActorNode> Roots);

public sealed record LogLine(DateTimeOffset Timestamp, string Level, string Source, string Category, string Message);

public sealed record LogPeekView(int Capacity, long Total, IReadOnlyList<LogLine> Lines);

public sealed record HealthCheckView(string Name, bool Ok, string Detail, double DurationMs);

public sealed record HealthView(string Status, IReadOnlyList<HealthCheckView> Checks);
