using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.Lab.Experiments;

/// <summary>
/// Delay (docs/protocol.md §3.2): the proxy holds a client's message and releases it after a delay swept from 0 to
/// beyond the 300 s window. The server's lab clock is moved forward by the delay instead of waiting, so the sweep
/// takes seconds; to the server it is the same as the time having passed.
/// </summary>
internal sealed class DelayExperiment() : LabExperiment(
    "delay",
    "Delaying a message past the time window",
    "no-time-window",
    "MTProto service messages, bad_msg_notification 16 (msg_id too low); Albrecht et al. 2022 §IV",
    "For each delay, a new session of the client sends ping(ping_id) through the proxy, which drops it on the way and keeps "
        + "the ciphertext (rule drop, i.e. hold). The server's lab clock (POST /lab/clock?advance=) then moves forward by the "
        + "delay, and the proxy releases the held packet on the same connection. A pong means the server accepted the message "
        + $"that late. A hardened server accepts delays inside its {WindowSeconds} s window and refuses later ones (16); the attack "
        + $"worked when a message held more than {WindowSeconds} s was accepted.")
{
    private const int WindowSeconds = 300;

    public override async Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        if (!await lab.Server.HasLabClockAsync(cancel))
        {
            result.Notes.Add("The server has no lab clock (start it with --Testbed:LabClock=true), so no delay could be applied in reasonable time.");
            return;
        }

        int[] delays = lab.Budget == LabBudget.Small ? [0, 120, 290, 310, 600] : [0, 30, 60, 120, 180, 240, 270, 290, 295, 305, 310, 330, 400, 600, 900, 1800];
        var points = new JsonArray();
        var accepted = new List<(double Delay, bool Accepted)>();
        foreach (int delay in delays)
        {
            await using Probe probe = await lab.OpenProbeAsync(cancel);
            ProxiedConnection connection = lab.LastConnection();
            int next = lab.Capture.Packets(PacketDirection.ClientToServer, connection.Id).Count + 1;
            lab.Proxy.Core.SetRules([new ProxyRule(PacketDirection.ClientToServer, next, RuleAction.Drop, 0)]);
            long pingId = RandomNumberGenerator.GetInt32(int.MaxValue) + 1L;
            byte[] wire = probe.Seal(Probe.Ping(pingId), out EnvelopeHeader header);
            await probe.Transport.SendAsync(wire, cancel);
            await WaitForDropAsync(lab, connection.Id, next, cancel);
            lab.Proxy.Core.SetRules([]);

            await lab.AdvanceClockAsync(TimeSpan.FromSeconds(delay), cancel);
            await connection.InjectAsync(PacketDirection.ClientToServer, lab.Capture.Packets(PacketDirection.ClientToServer, connection.Id, "dropped")[^1].Payload!, cancel);
            List<Reply> replies = await LabSession.CollectAsync(probe, TimeSpan.FromMilliseconds(400), cancel);
            bool pong = replies.SelectMany(r => r.Messages).Any(m => m.Body.Combinator.Name == "pong" && m.Body.Get<long>("ping_id") == pingId);
            int? code = replies.Select(r => r.BadMsgCode).FirstOrDefault(c => c is not null);
            accepted.Add((delay, pong));
            points.Add(new JsonObject { ["delay_s"] = delay, ["accepted"] = pong, ["bad_msg_code"] = code, ["msg_id"] = header.MsgId });
            result.Add($"held {delay} s", pong ? "accepted" : code is { } c ? $"refused (bad_msg_notification {c})" : "refused",
                delay > WindowSeconds ? pong : null,
                (delay > WindowSeconds ? "beyond" : "inside") + $" the {WindowSeconds} s window; the server sent {string.Join("; ", replies.Select(r => r.ToString()))}");
        }

        result.Data["points"] = points;
        result.Data["window_s"] = WindowSeconds;
        result.Plots.Add(new LabPlot("acceptance-vs-delay", "Acceptance of a held message against its delay (1 = accepted)", plot =>
        {
            var scatter = plot.Add.Scatter(accepted.Select(p => p.Delay).ToArray(), accepted.Select(p => p.Accepted ? 1.0 : 0.0).ToArray());
            scatter.LegendText = lab.Server.Description;
            scatter.MarkerSize = 9;
            scatter.ConnectStyle = ScottPlot.ConnectStyle.StepHorizontal;
            var limit = plot.Add.VerticalLine(WindowSeconds);
            limit.LegendText = $"{WindowSeconds} s window";
            limit.LinePattern = ScottPlot.LinePattern.Dashed;
            plot.Axes.SetLimitsY(-0.1, 1.1);
            plot.XLabel("delay before release (s, server lab clock)");
            plot.YLabel("accepted");
            plot.Title($"Delay sweep: {lab.Server.Description}");
            plot.ShowLegend();
        }));
    }

    // The drop happens on the proxy's pump: wait until the capture shows it.
    private static async Task WaitForDropAsync(LabSession lab, int connection, int index, CancellationToken cancel)
    {
        for (int waited = 0; waited < 5000; waited += 5)
        {
            if (lab.Capture.Packets(PacketDirection.ClientToServer, connection, "dropped").Any(r => r.Index == index))
            {
                return;
            }

            await Task.Delay(5, cancel);
        }

        throw new IOException(string.Create(CultureInfo.InvariantCulture, $"the proxy never saw packet {index} of connection {connection}"));
    }
}
