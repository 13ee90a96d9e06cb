namespace Bazaar.Server.Admin;

public sealed class AdminOptions
{
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>Comma-separated Telegram user ids allowed to use admin commands in the bot.</summary>
    public string? TelegramIds { get; set; }
    /// <summary>A bootstrap key for the REST API, compared in constant time and never stored.</summary>
    public string? ApiKey { get; set; }

    public IReadOnlySet<long> TelegramAdminIds =>
        (TelegramIds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.TryParse(s, out var id) ? id : (long?)null)
            .OfType<long>().ToHashSet();
}
