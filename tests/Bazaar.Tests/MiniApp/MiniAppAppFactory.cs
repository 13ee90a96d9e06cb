using System.Net.Http.Headers;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Data;
using Bazaar.Tests.Shop;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.MiniApp;

/// <summary>The shop's test server with a public https address, so the Mini App's bot pieces are on.</summary>
public class MiniAppAppFactory : ShopAppFactory
{
    public const string PublicUrl = "https://shop.example.test";

    public MiniAppAppFactory()
    {
        With("Telegram:PublicUrl", PublicUrl);
    }

    /// <summary>A client whose requests carry initData signed now for this Telegram user.</summary>
    public HttpClient As(long telegramId, string firstName = "Alice", string lang = "en")
    {
        var c = CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("tma", TestInitData.For(telegramId, Clock.GetUtcNow(), firstName, lang));
        return c;
    }

    public Task<ChatUser> UserOf(long telegramId) =>
        WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == "telegram" && u.ExternalId == telegramId.ToString()));
}
