using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Channels.WhatsApp;

public static class WhatsAppWebhook
{
    public const string Path = "/whatsapp/webhook";
    public const string SignatureHeader = "X-Hub-Signature-256";
    private const int MaxBody = 1 << 20;
    private static readonly string[] Order = ["sent", "delivered", "read"];

    /// <summary>Meta's verification handshake: hub.mode=subscribe and the right hub.verify_token get hub.challenge back as plain text.</summary>
    internal static Results<ContentHttpResult, ProblemHttpResult> Verify(IOptions<WhatsAppOptions> options,
        [FromQuery(Name = "hub.mode")] string? mode = null, [FromQuery(Name = "hub.verify_token")] string? token = null,
        [FromQuery(Name = "hub.challenge")] string? challenge = null)
    {
        if (mode != "subscribe" || !Secrets.AreEqual(token, options.Value.VerifyToken) || challenge is null)
            return Problems.Make(403, "Forbidden", "verify_token_invalid", "hub.mode must be subscribe and hub.verify_token must match WhatsApp:VerifyToken.");
        return TypedResults.Text(challenge, "text/plain");
    }

    /// <summary>True when the header is sha256=&lt;hex&gt; of HMAC-SHA256(app secret, raw body); compared in constant time.</summary>
    public static bool SignatureValid(string? header, ReadOnlySpan<byte> body, string secret)
    {
        if (string.IsNullOrEmpty(secret) || header is null || !header.StartsWith("sha256=", StringComparison.Ordinal)) return false;
        Span<byte> presented = stackalloc byte[32];
        var hex = header.AsSpan(7);
        if (hex.Length != 64) return false;
        try
        {
            if (Convert.FromHexString(hex, presented, out _, out var written) != OperationStatus.Done || written != 32) return false;
        }
        catch (FormatException) { return false; }
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }

    /// <summary>
    /// The Cloud API webhook. The signature is checked on the raw bytes before anything is parsed. Messages go into the
    /// inbox on channel whatsapp (the 200 comes once they are committed, so Meta re-delivers anything not stored);
    /// statuses update the delivery status of the outbox row that sent the message.
    /// </summary>
    internal static async Task<Results<Ok, ProblemHttpResult>> Receive(HttpContext http, IOptions<WhatsAppOptions> options, Inbox inbox,
        BotPipeline pipeline, BazaarDb db, WriteGate gate, TimeProvider clock, ILoggerFactory logs)
    {
        var o = options.Value;
        var body = await ReadBodyAsync(http.Request, http.RequestAborted);
        if (body is null) return Problems.Make(413, "Payload too large", "payload_too_large", "The webhook body is larger than 1 MB.");
        if (!SignatureValid(http.Request.Headers[SignatureHeader].ToString() is { Length: > 0 } h ? h : null, body, o.AppSecret))
            return Problems.Make(401, "Unauthorized", "signature_invalid", "X-Hub-Signature-256 is missing or does not match the body.");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body); }
        catch (JsonException e) { return Problems.BadRequest("payload_invalid", "The body is not JSON: " + e.Message); }
        using var _ = doc;
        var (messages, statuses) = WhatsAppInbound.Parse(doc.RootElement);
        var now = clock.GetUtcNow().UtcDateTime;
        try
        {
            foreach (var m in messages)
            {
                int id;
                using (await gate.EnterAsync(http.RequestAborted)) id = await WhatsAppMessageIds.UpdateIdOfAsync(db, m.WaMessageId, now, http.RequestAborted);
                var update = WhatsAppInbound.ToUpdate(m, id, c => pipeline.Routes.FindCommand(c) is { Hidden: false });
                var botId = string.IsNullOrEmpty(m.PhoneNumberId) ? o.PhoneNumberId : m.PhoneNumberId;
                // The inbox keeps the update as the pipeline reads it (the processor parses it again after a restart).
                await inbox.AcceptAsync(InboundItem.Of(ChatChannel.WhatsApp, botId, update, JsonSerializer.Serialize(update, global::Telegram.Bot.JsonBotAPI.Options)));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logs.CreateLogger(typeof(WhatsAppWebhook)).LogError(e, "WhatsApp messages could not be stored; Meta will re-deliver");
            return Problems.Make(503, "Service unavailable", "inbox_unavailable", "The messages could not be stored; please retry.");
        }
        if (statuses.Count > 0)
            using (await gate.EnterAsync(http.RequestAborted))
                foreach (var s in statuses) await RecordStatusAsync(db, s, now, http.RequestAborted);
        return TypedResults.Ok();
    }

    /// <summary>sent → delivered → read only move forward (Meta may send them out of order); failed is kept with its reason.</summary>
    internal static async Task RecordStatusAsync(BazaarDb db, WhatsAppStatus s, DateTime now, CancellationToken ct)
    {
        var q = db.Outbox.Where(m => m.Channel == ChatChannel.WhatsApp && m.ExternalId == s.WaMessageId);
        if (s.Status == "failed")
        {
            await q.ExecuteUpdateAsync(u => u.SetProperty(m => m.DeliveryStatus, "failed").SetProperty(m => m.DeliveryUpdatedAt, now)
                .SetProperty(m => m.LastError, s.Error ?? "WhatsApp reported the message as failed"), ct);
            return;
        }
        var rank = Array.IndexOf(Order, s.Status);
        if (rank < 0) return;
        var before = Order.Take(rank).ToArray();
        await q.Where(m => m.DeliveryStatus == null || before.Contains(m.DeliveryStatus))
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.DeliveryStatus, s.Status).SetProperty(m => m.DeliveryUpdatedAt, now), ct);
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBody) return null;
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > MaxBody) return null;
        }
        return ms.ToArray();
    }
}
