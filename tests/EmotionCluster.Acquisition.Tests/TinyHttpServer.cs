using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EmotionCluster.Acquisition.Tests;

/// <summary>What the test server does with a request.</summary>
/// <param name="SendBytes">Send only this many body bytes (after announcing the full length), then close: a truncated download.</param>
/// <param name="HangAfter">Send this many body bytes (null: not even the headers), then keep the connection open silently.</param>
public sealed record Reply(int Status, byte[] Body, int? SendBytes = null, bool Hang = false, int? HangAfter = null)
{
    public static Reply Ok(byte[] body) => new(200, body);
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 with a free port: one response per connection, Content-Length always
/// announced, and ways to misbehave (truncate, hang).
/// </summary>
public sealed class TinyHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<string, Reply> _respond;
    private int _requests;

    public TinyHttpServer(Func<string, Reply> respond)
    {
        _respond = respond;
        _listener.Start();
        _ = AcceptLoop();
    }

    public TinyHttpServer(Reply reply) : this(_ => reply) { }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Requests => Volatile.Read(ref _requests);
    public Uri Url(string path = "/download.zip") => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>A URL on a port where nothing listens (it was free a moment ago).</summary>
    public static Uri RefusingUrl()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/download.zip");
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Serve(client);
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                string path = await ReadRequestPath(stream);
                Interlocked.Increment(ref _requests);
                Reply reply = _respond(path);
                if (reply.Hang && reply.HangAfter == null)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }
                string reason = reply.Status switch { 200 => "OK", 404 => "Not Found", 500 => "Internal Server Error", _ => "Status" };
                byte[] head = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {reply.Status} {reason}\r\nContent-Type: application/zip\r\nContent-Length: {reply.Body.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, _stop.Token);
                int send = reply.HangAfter ?? reply.SendBytes ?? reply.Body.Length;
                await stream.WriteAsync(reply.Body.AsMemory(0, send), _stop.Token);
                await stream.FlushAsync(_stop.Token);
                if (reply.Hang) await Task.Delay(Timeout.Infinite, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // the client went away or the server stopped
            }
        }
    }

    private static async Task<string> ReadRequestPath(NetworkStream stream)
    {
        var head = new StringBuilder();
        var buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n") && head.Length < 16384)
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0) break;
            head.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        string[] requestLine = head.ToString().Split("\r\n")[0].Split(' ');
        return requestLine.Length > 1 ? requestLine[1] : "/";
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
