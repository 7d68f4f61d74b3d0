using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using EmotionCluster.Cli;
using EmotionCluster.Hosting;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// Remoting over mutual TLS with the cluster certificate (<see cref="NodeSettings.TlsCertificate"/>): node processes on
/// loopback. A node with the certificate and its password joins; one without TLS, one with another certificate, and
/// one with the right certificate but the wrong password do not (the last two stop).
/// </summary>
[Collection("management-cluster")]
public sealed class RemotingTlsTests(ITestOutputHelper output) : NodeProcessTest(output, "ec-tls-")
{
    private const string Secret = "cluster-secret-0123";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    /// <summary>A self-signed certificate with its key, as a PKCS#12 file protected by <paramref name="password"/>.</summary>
    public static string MakeCertificate(string path, string subject, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllBytes(path, cert.Export(X509ContentType.Pfx, password));
        return path;
    }

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private (NodeProcess Process, string Url) Start(string name, int port, int seedPort, params string[] tls)
    {
        int http = NodeProcess.FreePort();
        var p = NodeProcess.Start(name, port,
        [
            "run", "--port", port.ToString(), "--seed", NodeProcess.Address(seedPort), "--roles", "extractor", "--store", Path.Combine(_dir, name),
            "--shards", "4", "--http-port", http.ToString(), "--heartbeat-pause", "2", "--sbr-stable-after", "120", .. tls,
        ], Log);
        _processes.Add(p);
        return (p, $"http://127.0.0.1:{http}");
    }

    private ClusterView Cluster(string url)
    {
        var o = new StringWriter();
        int code = CliApp.Run(["ctl", "--node", url, "--json", "cluster", "show"], o, new StringWriter());
        Assert.Equal(0, code);
        return JsonSerializer.Deserialize<ClusterView>(o.ToString(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        for (DateTime until = DateTime.UtcNow + Startup; DateTime.UtcNow < until; await Task.Delay(250))
            if (condition()) return;
        throw new TimeoutException($"{what}: not reached within {Startup}");
    }

    [Fact]
    public async Task Only_nodes_with_the_cluster_certificate_and_its_password_join()
    {
        string cluster = MakeCertificate(Path.Combine(_dir, "cluster.pfx"), "emotioncluster", Secret);
        string stranger = MakeCertificate(Path.Combine(_dir, "stranger.pfx"), "emotioncluster", Secret); // same name and password, another key
        string secret = WriteFile("secret", Secret + "\n"), wrong = WriteFile("wrong", "guess");
        string[] withCert = ["--tls-certificate", cluster, "--tls-password-file", secret];

        int port1 = NodeProcess.FreePort(), port2 = NodeProcess.FreePort();
        var (node1, url1) = Start("node1", port1, port1, withCert);
        var (_, url2) = Start("node2", port2, port1, withCert); // the seed given as akka.tcp:// means the TLS address
        string tls1 = $"akka.ssl.tcp://emotioncluster@127.0.0.1:{port1}", tls2 = $"akka.ssl.tcp://emotioncluster@127.0.0.1:{port2}";
        await node1.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        await Until(() => Cluster(url1).Members.Count(m => m.Status == "Up") == 2, "node2 Up over TLS");
        Assert.Equal(new[] { tls1, tls2 }.Order(), Cluster(url1).Members.Select(m => m.Address).Order());
        Assert.Equal(tls2, Cluster(url2).Self);

        // The wrong password: the node does not start, and says why.
        int port5 = NodeProcess.FreePort();
        var (badPassword, _) = Start("node5", port5, port1, "--tls-certificate", cluster, "--tls-password-file", wrong);
        Assert.Equal(2, await badPassword.WaitForExit(Startup));
        Assert.Contains(badPassword.Lines, l => l.StartsWith("bad node configuration:") && l.Contains("TlsCertificate") && l.Contains("password"));

        // Plain TCP: starts, tries to join, stays outside. TLS with another certificate: its handshake fails and Akka.Remote
        // stops that node (a misconfigured certificate fails fast). The cluster's members never change.
        int port3 = NodeProcess.FreePort(), port4 = NodeProcess.FreePort();
        var (plain, url3) = Start("node3", port3, port1);
        var (other, _) = Start("node4", port4, port1, "--tls-certificate", stranger, "--tls-password-file", secret);
        await plain.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        await other.WaitForExit(Startup);
        Assert.Contains(other.Lines, l => l.Contains("TLS handshake failed"));
        await Task.Delay(TimeSpan.FromSeconds(12)); // the plain node's join attempts (seed-node-timeout 5 s)
        Assert.Equal(new[] { tls1, tls2 }.Order(), Cluster(url1).Members.Select(m => m.Address).Order());
        Assert.Equal(new[] { tls1, tls2 }.Order(), Cluster(url2).Members.Select(m => m.Address).Order());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await http.GetAsync(url3 + "/healthz/ready")).StatusCode); // a member of nothing
        Assert.False(node1.HasExited);
    }
}
