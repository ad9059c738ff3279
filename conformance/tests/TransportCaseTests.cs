using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Testbed.Conformance.Harness;
using Testbed.Conformance.ServerSuite;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Tests;

/// <summary>
/// The transport cases' own socket reads: TRN-005 and TRN-006 against a stand-in TCP server that answers their bad frame
/// in the ways a real one might.
/// </summary>
public sealed class TransportCaseTests
{
    private static readonly RsaPublicKey AnyKey = new([0xc3, 0x5b, 0x21, 0x07], [1, 0, 1]);

    public enum StandIn
    {
        Closes,
        Resets,
        StaysOpen,
        AnswersMinus404,
        AnswersMinus429,
    }

    [Theory]
    [InlineData("TRN-005", StandIn.Closes, "Pass")]
    [InlineData("TRN-005", StandIn.Resets, "Pass")]
    [InlineData("TRN-005", StandIn.StaysOpen, "Fail")]
    [InlineData("TRN-005", StandIn.AnswersMinus404, "Fail")]
    [InlineData("TRN-005", StandIn.AnswersMinus429, "NotApplicable")]
    [InlineData("TRN-006", StandIn.Closes, "Pass")]
    [InlineData("TRN-006", StandIn.AnswersMinus404, "Fail")]
    [InlineData("TRN-006", StandIn.AnswersMinus429, "NotApplicable")]
    public async Task A_bad_frame_passes_only_when_the_connection_closes_and_a_framed_minus_429_is_not_applicable(string id, StandIn behaviour, string verdict)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        TransportFraming framing = id == "TRN-005" ? TransportFraming.Full : TransportFraming.Intermediate;
        Task server = ServeOnceAsync(listener, behaviour, framing);
        var target = new Target(new Uri($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), TransportFraming.Intermediate, AnyKey, 1);

        IReadOnlyList<CaseResult> results = await ConformanceRunner.RunAsync(target, [ConformanceCatalog.Find(id)!], Expectations.None, jobs: 1,
            progress: null, CancellationToken.None);

        Assert.True(results[0].Verdict.ToString() == verdict, $"{id} against a server that {behaviour}: {results[0].Verdict}: {results[0].Evidence}");
        Assert.Equal(results[0].RateLimited, behaviour == StandIn.AnswersMinus429);
        listener.Stop();
        await server.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task ServeOnceAsync(TcpListener listener, StandIn behaviour, TransportFraming framing)
    {
        using TcpClient client = await listener.AcceptTcpClientAsync();
        NetworkStream stream = client.GetStream();
        byte[] buffer = new byte[4096];
        _ = await stream.ReadAsync(buffer); // the marker and the bad frame (or the start of them)
        switch (behaviour)
        {
            case StandIn.Resets:
                client.Client.LingerState = new LingerOption(true, 0);
                client.Client.Close();
                return;
            case StandIn.StaysOpen:
                // Until the case gives up and closes its side.
                while (await stream.ReadAsync(buffer) > 0)
                {
                }

                return;
            case StandIn.AnswersMinus404 or StandIn.AnswersMinus429:
                byte[] code = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(code, behaviour == StandIn.AnswersMinus404 ? -404 : TransportErrors.RateLimited);
                await stream.WriteAsync(new FrameWriter(framing).Frame(code));
                await stream.FlushAsync();
                while (await stream.ReadAsync(buffer) > 0)
                {
                }

                return;
        }
    }
}
