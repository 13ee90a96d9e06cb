using System.Buffers;
using System.Text;
using System.Text.Json;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Bazaar.Server.Channels.Telegram;

public static class TelegramWebhook
{
    public const string Path = "/api/v1/telegram/webhook";
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";
    private const int MaxBody = 1 << 20;

    /// <summary>
    /// Telegram's webhook. The 200 goes out only after the update is committed to the inbox (group commit),
    /// so Telegram re-sends anything not durably accepted; handling happens later, in the processor.
    /// </summary>
    internal static async Task<Results<Ok, ProblemHttpResult>> Receive(HttpContext http, IOptions<TelegramOptions> options, Inbox inbox,
        IHostApplicationLifetime lifetime)
    {
        var o = options.Value;
        // Shutting down: take nothing new (the inbox drains what it already accepted); Telegram delivers it again later,
        // to this instance after the restart or to another one behind the load balancer.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            http.Response.Headers.RetryAfter = "5";
            return Problems.Make(503, "Service unavailable", "shutting_down", "The server is shutting down; please retry.");
        }
        if (!Secrets.AreEqual(http.Request.Headers[SecretHeader].ToString() is { Length: > 0 } s ? s : null, o.WebhookSecret))
            return Problems.Make(401, "Unauthorized", "webhook_secret_invalid", "The webhook secret token is missing or wrong.");

        var body = await ReadBodyAsync(http.Request, http.RequestAborted);
        if (body is null) return Problems.BadRequest("update_too_large", "The update is larger than 1 MB.");
        var (update, error) = Parse(body);
        if (update is null) return Problems.BadRequest("update_invalid", error!);
        try
        {
            await inbox.AcceptAsync(InboundItem.Of(ChatChannel.Telegram, o.BotId, update, Encoding.UTF8.GetString(body)));
        }
        catch (Exception)
        {
            // Not stored (logged by the inbox): a 5xx makes Telegram deliver it again.
            return Problems.Make(503, "Service unavailable", "inbox_unavailable", "The update could not be stored; please retry.");
        }
        return TypedResults.Ok();
    }

    /// <summary>Reads and checks an Update; the error says what is wrong with it.</summary>
    public static (Update? Update, string? Error) Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var update = JsonSerializer.Deserialize<Update>(json, JsonBotAPI.Options);
            if (update is null || update.Id <= 0 || !json.TrimStart(" \t\r\n"u8).StartsWith("{"u8))
                return (null, "The body is not a Telegram Update (it needs a positive update_id).");
            return (update, null);
        }
        catch (JsonException ex)
        {
            return (null, "The body is not valid Update JSON: " + ex.Message);
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBody) return null;
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            if (result.Buffer.Length > MaxBody)
            {
                reader.AdvanceTo(result.Buffer.End);
                return null;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
