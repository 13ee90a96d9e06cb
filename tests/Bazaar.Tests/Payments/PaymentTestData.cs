using System.Net;
using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Payments;

public static class PaymentTestData
{
    public static async Task<JsonElement> CreatePaymentAsync(AppFactory factory, long userId, string method, decimal amount, string? currency = "USD")
    {
        using var client = factory.AdminClient();
        var response = await client.PostJson("/api/v1/payments", new { userId, method, purpose = "wallet_topup", amount, currency });
        var body = await response.ReadJson();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        return body;
    }

    public static async Task<JsonElement> GetPaymentAsync(AppFactory factory, long id)
    {
        using var client = factory.AdminClient();
        return await (await client.GetAsync($"/api/v1/payments/{id}")).ReadJson();
    }

    public static Task<List<OutboxMessage>> OutboxForAsync(AppFactory factory, string chatId) =>
        factory.WithDb(db => db.Outbox.AsNoTracking().Where(m => m.ChatId == chatId).OrderBy(m => m.Id).ToListAsync());

    /// <summary>The text of the messages to a chat, with the JSON's escapes decoded.</summary>
    public static async Task<List<string>> TextsToAsync(AppFactory factory, string chatId) =>
        (await OutboxForAsync(factory, chatId)).Where(m => m.Method == "sendMessage")
            .Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("text").GetString()!).ToList();
}
