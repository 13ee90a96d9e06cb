namespace Bazaar.Server.MiniApp;

public sealed class MiniAppOptions
{
    /// <summary>initData signed longer ago than this is refused.</summary>
    public int MaxAgeSeconds { get; set; } = 3600;
    /// <summary>The app's public https address; empty means Telegram:PublicUrl + /app. Telegram opens only https.</summary>
    public string? Url { get; set; }
    /// <summary>Set the bot's chat menu button to open the app at start-up (when a public address is known).</summary>
    public bool SetMenuButton { get; set; } = true;
    /// <summary>The sandbox signing endpoint and the page's sandbox mode: on in Development unless false; never on in any other environment.</summary>
    public bool? Sandbox { get; set; }
}
