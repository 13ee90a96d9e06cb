namespace Bazaar.Server.Giveaways;

public sealed class GiveawayOptions
{
    /// <summary>At most one edit of a giveaway post's participant count per this many seconds.</summary>
    public int PostEditSeconds { get; set; } = 30;
    public int CaptchaMinutes { get; set; } = 10;
    public int CaptchaAttempts { get; set; } = 3;
    /// <summary>After the last wrong answer, a new question only after this wait.</summary>
    public int CaptchaCooldownSeconds { get; set; } = 60;
    public CaptchaOptions Captcha { get; set; } = new();
    /// <summary>Where the published draw can be fetched (the base of GET /api/v1/giveaways/{id}/draw), shown on the post.</summary>
    public string PublicUrl { get; set; } = "http://127.0.0.1:8080";
    /// <summary>
    /// How the sandbox answers getChatMember (its users are not on Telegram): chat id → user id (or "default") → a
    /// Bot API status: member, administrator, creator, restricted (with is_member), restricted_left (without), left, kicked.
    /// Unlisted chats answer "member".
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> SandboxChatMembers { get; set; } = new();
}

public sealed class CaptchaOptions
{
    public const string Arithmetic = "arithmetic", Emoji = "emoji";

    /// <summary>
    /// The question a new session asks: "arithmetic" (default; a sum to type) or "emoji" (a named emoji to press among
    /// a keyboard of <see cref="EmojiButtons"/>). A session keeps the kind it was asked with.
    /// </summary>
    public string Kind { get; set; } = Arithmetic;
    /// <summary>How many emoji buttons an emoji question offers (one is right); 3 to 8.</summary>
    public int EmojiButtons { get; set; } = 6;

    public bool IsEmoji => string.Equals(Kind?.Trim(), Emoji, StringComparison.OrdinalIgnoreCase);
}
