using System.Text.Json;
using Akka.Actor;
using Akka.Remote;
using EmotionCluster.Cli;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>The association record behind <c>ctl remote connections</c>, event by event.</summary>
public sealed class RemoteAssociationsTests
{
    private static readonly Address Self = Address.Parse("akka.tcp://emotioncluster@127.0.0.1:4053");
    private static readonly Address Other = Address.Parse("akka.tcp://emotioncluster@127.0.0.1:4054");

    [Fact]
    public void States_follow_the_events_with_since_kept_for_a_repeated_state_and_the_uid_from_membership_or_quarantine()
    {
        var record = new RemoteAssociations();
        var t0 = DateTimeOffset.UnixEpoch;
        record.Record(new AssociatedEvent(Self, Other, inbound: false), t0);
        var view = record.View(Self.ToString(), 7, new Dictionary<string, (string, long)> { [Other.ToString()] = ("Up", 42) });
        var c = Assert.Single(view.Connections);
        Assert.Equal((Other.ToString(), "outbound", "associated", t0, 42L, "Up"), (c.Address, c.Direction, c.State, c.Since, c.Uid, c.MemberStatus));

        record.Record(new AssociationErrorEvent(new InvalidOperationException("connection\nrefused"), Self, Other, false, Akka.Event.LogLevel.WarningLevel), t0.AddSeconds(1));
        record.Record(new AssociationErrorEvent(new InvalidOperationException("connection refused"), Self, Other, false, Akka.Event.LogLevel.WarningLevel), t0.AddSeconds(5));
        c = Assert.Single(record.View(Self.ToString(), 7, new Dictionary<string, (string, long)>()).Connections); // no longer a member
        Assert.Equal(("error", t0.AddSeconds(1), (long?)42, (string?)null, "connection refused"), (c.State, c.Since, c.Uid, c.MemberStatus, c.Detail));

        record.Record(new QuarantinedEvent(Other, 43), t0.AddSeconds(9));
        c = Assert.Single(record.View(Self.ToString(), 7, new Dictionary<string, (string, long)>()).Connections);
        Assert.Equal(("quarantined", 43L), (c.State, c.Uid));
    }

    [Fact]
    public void Ended_associations_beyond_the_capacity_are_dropped_oldest_first_and_associated_ones_listed_first()
    {
        var record = new RemoteAssociations(capacity: 2);
        var t0 = DateTimeOffset.UnixEpoch;
        Address A(int port) => Address.Parse($"akka.tcp://emotioncluster@127.0.0.1:{port}");
        record.Record(new DisassociatedEvent(Self, A(1), false), t0);
        record.Record(new DisassociatedEvent(Self, A(2), false), t0.AddSeconds(1));
        record.Record(new AssociatedEvent(Self, A(3), true), t0.AddSeconds(2));
        var view = record.View(Self.ToString(), null, new Dictionary<string, (string, long)>());
        Assert.Equal([(A(3).ToString(), "associated", "inbound"), (A(2).ToString(), "disassociated", "outbound")],
            view.Connections.Select(c => (c.Address, c.State, c.Direction)));
    }

    [Fact]
    public void A_member_that_associated_before_recording_began_is_listed_from_the_membership_until_an_event_names_it()
    {
        var record = new RemoteAssociations();
        var t0 = DateTimeOffset.UnixEpoch;
        record.Started(t0);
        Address A(int port) => Address.Parse($"akka.tcp://emotioncluster@127.0.0.1:{port}");
        var members = new Dictionary<string, (string, long)>
        {
            [Self.ToString()] = ("Up", 7), [Other.ToString()] = ("Up", 42), [A(5).ToString()] = ("Down", 50), [A(6).ToString()] = ("Removed", 60),
        };
        var c = Assert.Single(record.View(Self.ToString(), 7, members).Connections); // not itself, not a member that is down or removed
        Assert.Equal((Other.ToString(), "unknown", "associated", t0, 42L, "Up"), (c.Address, c.Direction, c.State, c.Since, c.Uid, c.MemberStatus));
        Assert.Contains("before this node began recording", c.Detail);

        record.Record(new AssociatedEvent(Self, Other, inbound: true), t0.AddSeconds(3));
        c = Assert.Single(record.View(Self.ToString(), 7, members).Connections);
        Assert.Equal(("inbound", t0.AddSeconds(3), (string?)null), (c.Direction, c.Since, c.Detail));
        record.Record(new DisassociatedEvent(Self, Other, true), t0.AddSeconds(4));
        Assert.Equal("disassociated", Assert.Single(record.View(Self.ToString(), 7, members).Connections).State);
        // both directions of one address: outbound first, as before the membership's entries
        record.Record(new DisassociatedEvent(Self, Other, false), t0.AddSeconds(5));
        Assert.Equal(["outbound", "inbound"], record.View(Self.ToString(), 7, members).Connections.Select(c => c.Direction));
    }
}
