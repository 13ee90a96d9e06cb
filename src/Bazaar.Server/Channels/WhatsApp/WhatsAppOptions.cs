namespace Bazaar.Server.Channels.WhatsApp;

/// <summary>The <c>WhatsApp</c> section: the Cloud API number and the Meta app it belongs to.</summary>
public sealed class WhatsAppOptions
{
    /// <summary>What Meta sends back as hub.verify_token when the webhook is set up.</summary>
    public string VerifyToken { get; set; } = "";
    /// <summary>The Meta app secret: X-Hub-Signature-256 is the HMAC-SHA256 of the raw body with it. Empty refuses every call.</summary>
    public string AppSecret { get; set; } = "";
    public string ApiBaseUrl { get; set; } = "https://graph.facebook.com";
    public string ApiVersion { get; set; } = "v21.0";
    public string PhoneNumberId { get; set; } = "";
    public string AccessToken { get; set; } = "";
    /// <summary>Free-form messages are allowed this long after the contact's last message.</summary>
    public int WindowHours { get; set; } = 24;
    /// <summary>Approved templates per notification key (e.g. raffle_payment_confirmed), used outside the window.</summary>
    public Dictionary<string, WhatsAppTemplate> Templates { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public bool CanSend => !string.IsNullOrWhiteSpace(PhoneNumberId) && !string.IsNullOrWhiteSpace(AccessToken);
    public string Url(string path) => $"{ApiBaseUrl.TrimEnd('/')}/{ApiVersion}/{path}";
}

/// <summary>A message template approved in WhatsApp Manager; the notification's parameters fill its body {{1}}, {{2}}, …</summary>
public sealed class WhatsAppTemplate
{
    public string Name { get; set; } = "";
    public string Language { get; set; } = "en";
}
