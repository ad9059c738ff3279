using System.Globalization;

namespace Testbed.Server;

/// <summary>
/// The replay lab's server clock (setting <c>LabClock</c>): the system clock plus an offset that only grows.
/// Everything in the server that reads time (msg_id windows, salts, key expiry, the msg_ids it makes) reads this,
/// so moving it forward is the same, to the server, as the time having passed.
/// </summary>
public sealed class LabClock : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far ahead of the system clock this clock is.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>Moves the clock forward; a clock never goes back.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _offsetTicks, by.Ticks);
    }

    /// <summary><c>GET /lab/clock</c> reports the offset; <c>POST /lab/clock?advance=SECONDS</c> moves it (0 to 86400 s at a time).</summary>
    internal static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/lab/clock", (TimeProvider clock) => Describe((LabClock)clock));
        app.MapPost("/lab/clock", (TimeProvider clock, string? advance) =>
        {
            if (!double.TryParse(advance, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds is < 0 or > 86400)
            {
                return Results.BadRequest(new { error = "advance must be a number of seconds from 0 to 86400" });
            }

            var lab = (LabClock)clock;
            lab.Advance(TimeSpan.FromSeconds(seconds));
            return Describe(lab);
        });
    }

    private static IResult Describe(LabClock clock) =>
        Results.Json(new { offset_seconds = clock.Offset.TotalSeconds, now = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) });
}
