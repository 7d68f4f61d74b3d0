using Akka.Actor;
using Akka.Remote;

namespace EmotionCluster.Management;

/// <summary>
/// This node's remoting associations as Akka.Remote reported them on the event stream (<see cref="AssociatedEvent"/>,
/// <see cref="DisassociatedEvent"/>, <see cref="AssociationErrorEvent"/>, <see cref="QuarantinedEvent"/>), for
/// <c>GET /api/remote/connections</c> (<c>emotioncluster ctl remote connections</c>, like pbm's <c>remote connections</c>):
/// per remote address and direction its state and since when. Akka.NET keeps its endpoint registry internal, so this
/// is the record of its events from the node's start (the recorder starts with the actor system, just after remoting
/// listens: a member that associated in between is listed from the cluster's membership, direction unknown); the remote
/// system's uid is the one its cluster membership (also after it left) or a quarantine names. Associations that ended are kept (the newest
/// <see cref="Capacity"/> entries), so an operator sees what went away and when.
/// </summary>
public sealed class RemoteAssociations
{
    public const int DefaultCapacity = 256;
    public const string Associated = "associated";
    public const string Disassociated = "disassociated";
    public const string Failed = "error";
    public const string Quarantined = "quarantined";
    /// <summary>Directions: the other system opened it, this one did, or it was made before the recorder started (<see cref="View"/>).</summary>
    public const string Inbound = "inbound", Outbound = "outbound", Unknown = "unknown";

    private readonly Dictionary<(string Address, bool Inbound), Entry> _entries = new();
    private readonly Lock _lock = new();

    public RemoteAssociations(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>When the recorder started listening (associations before it are not known).</summary>
    public DateTimeOffset? TrackingSince { get; private set; }

    /// <summary>One association; <c>KnownUid</c>: the remote system's, from a quarantine or its membership when last seen.</summary>
    private sealed record Entry(string Address, bool Inbound, string State, DateTimeOffset Since, DateTimeOffset LastEvent, long? KnownUid, string? Detail);

    public void Started(DateTimeOffset at)
    {
        lock (_lock) TrackingSince ??= at;
    }

    /// <summary>Records one remoting lifecycle event seen at <paramref name="at"/>; others than association events are ignored.</summary>
    public void Record(RemotingLifecycleEvent e, DateTimeOffset at)
    {
        lock (_lock)
        {
            switch (e)
            {
                case AssociatedEvent a:
                    Set(a.RemoteAddress, a.IsInbound, Associated, at, null);
                    break;
                case DisassociatedEvent d:
                    Set(d.RemoteAddress, d.IsInbound, Disassociated, at, null);
                    break;
                case AssociationErrorEvent err:
                    Set(err.RemoteAddress, err.IsInbound, Failed, at, err.Cause?.Message is { Length: > 0 } m ? OneLine(m) : err.Cause?.GetType().Name);
                    break;
                case QuarantinedEvent q:
                {
                    string address = q.Address.ToString();
                    var keys = _entries.Keys.Where(k => k.Address == address).ToList();
                    if (keys.Count == 0) keys.Add((address, false));
                    foreach (var key in keys)
                        _entries[key] = new Entry(address, key.Inbound, Quarantined, at, at, q.Uid,
                            $"uid {q.Uid} quarantined: the remote system must restart to talk to this node again");
                    Trim();
                    break;
                }
            }
        }
    }

    private void Set(Address remote, bool inbound, string state, DateTimeOffset at, string? detail)
    {
        var key = (remote.ToString(), inbound);
        _entries.TryGetValue(key, out Entry? old);
        // "since": when the entry came into this state; a repeated state (retries failing again) keeps its start
        DateTimeOffset since = old is not null && old.State == state ? old.Since : at;
        _entries[key] = new Entry(key.Item1, inbound, state, since, at, old?.KnownUid, detail);
        Trim();
    }

    /// <summary>Drops the oldest entries that are not associated beyond <see cref="Capacity"/>.</summary>
    private void Trim()
    {
        while (_entries.Count > Capacity)
        {
            var oldest = _entries.Values.Where(e => e.State != Associated).OrderBy(e => e.LastEvent).FirstOrDefault()
                         ?? _entries.Values.OrderBy(e => e.LastEvent).First();
            _entries.Remove((oldest.Address, oldest.Inbound));
        }
    }

    /// <summary>
    /// The associations (associated first, then by address), with what the cluster says of each remote address:
    /// its member status and uid (<paramref name="members"/>: address to status and uid).
    /// </summary>
    public RemoteConnectionsView View(string self, long? selfUid, IReadOnlyDictionary<string, (string Status, long Uid)> members)
    {
        lock (_lock)
        {
            // remember each member's uid: it stays known after the remote system left the cluster
            foreach (var (key, entry) in _entries.ToList())
                if (members.TryGetValue(entry.Address, out var member) && entry.KnownUid != member.Uid)
                    _entries[key] = entry with { KnownUid = member.Uid };
            var recorded = _entries.Values
                .Select(e =>
                {
                    bool member = members.TryGetValue(e.Address, out var m);
                    return new RemoteConnectionView(e.Address, e.Inbound ? Inbound : Outbound, e.State, e.Since,
                        member ? m.Uid : e.KnownUid, member ? m.Status : null, e.Detail);
                });
            // a member that is talking to this node but associated before the recorder started (remoting listens before
            // the actor system can run the recorder): known from the cluster's membership, its direction not known
            var known = _entries.Keys.Select(k => k.Address).ToHashSet(StringComparer.Ordinal);
            var earlier = members
                .Where(m => m.Key != self && !known.Contains(m.Key) && m.Value.Status is not ("Down" or "Removed"))
                .Select(m => new RemoteConnectionView(m.Key, Unknown, Associated, TrackingSince ?? DateTimeOffset.UtcNow, m.Value.Uid, m.Value.Status,
                    "associated before this node began recording associations (at its start); known from the cluster's membership"));
            var connections = recorded.Concat(earlier)
                .OrderBy(c => c.State == Associated ? 0 : 1).ThenBy(c => c.Address, StringComparer.Ordinal)
                .ThenBy(c => c.Direction switch { Outbound => 0, Inbound => 1, _ => 2 })
                .ToList();
            return new RemoteConnectionsView(self, selfUid, TrackingSince, connections);
        }
    }

    private static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
}

/// <summary>Writes the node's remoting lifecycle events into <see cref="RemoteAssociations"/>.</summary>
public sealed class RemoteAssociationsActor : ReceiveActor
{
    public RemoteAssociationsActor(RemoteAssociations associations)
    {
        Receive<RemotingLifecycleEvent>(e => associations.Record(e, DateTimeOffset.UtcNow));
        associations.Started(DateTimeOffset.UtcNow);
    }

    public static Props PropsFor(RemoteAssociations associations) => Props.Create(() => new RemoteAssociationsActor(associations));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(RemotingLifecycleEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
