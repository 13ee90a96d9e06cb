namespace Bazaar.Server.Channels.Telegram;

public enum TelegramMode { Off, Webhook, Polling }

public sealed class TelegramOptions
{
    public string? BotToken { get; set; }
    /// <summary>Compared in constant time with X-Telegram-Bot-Api-Secret-Token on every webhook call.</summary>
    public string? WebhookSecret { get; set; }
    /// <summary>Off by default when there is no bot token.</summary>
    public TelegramMode? Mode { get; set; }
    /// <summary>The public https base URL; in Webhook mode setWebhook is called with it at start-up.</summary>
    public string? PublicUrl { get; set; }
    /// <summary>Telegram's, a local Bot API server, or a test fake.</summary>
    public string ApiBaseUrl { get; set; } = "https://api.telegram.org";
    /// <summary>The bot's @username, to tell "/cmd@ThisBot" from other bots' commands (asked with getMe when unset).</summary>
    public string? BotUsername { get; set; }
    /// <summary>Long-polling timeout of getUpdates in Polling mode.</summary>
    public int PollingTimeoutSeconds { get; set; } = 25;
    /// <summary>Run the getUpdates loop in Polling mode (tests switch it off and call RunOnceAsync).</summary>
    public bool PollingLoop { get; set; } = true;
    /// <summary>In Polling mode on PostgreSQL, how often an instance that does not poll checks whether the polling instance is gone.</summary>
    public int LeaderRetrySeconds { get; set; } = 5;

    public TelegramMode EffectiveMode => Mode ?? (string.IsNullOrWhiteSpace(BotToken) ? TelegramMode.Off : TelegramMode.Webhook);

    /// <summary>The bot's numeric id, the part of the token before the colon ("0" without a token).</summary>
    public string BotId => BotToken?.Split(':')[0] is { Length: > 0 } id ? id : "0";
}
