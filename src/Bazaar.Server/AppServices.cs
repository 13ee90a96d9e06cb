using System.Text.Json.Serialization;
using Bazaar.Server.Admin;
using Bazaar.Server.Broadcasts;
using Bazaar.Server.ChannelPosts;
using Bazaar.Server.Channels;
using Bazaar.Server.Checks;
using Bazaar.Server.Channels.Sandbox;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Channels.WhatsApp;
using Bazaar.Server.Conversations;
using Bazaar.Server.Dashboard;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Hosting;
using Bazaar.Server.Jobs;
using Bazaar.Server.MiniApp;
using Bazaar.Server.Operations;
using Bazaar.Server.Payments;
using Bazaar.Server.Raffles;
using Bazaar.Server.Guides;
using Bazaar.Server.Referrals;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bazaar.Server;

/// <summary>Every feature's registration and routes, in one readable place.</summary>
public static class AppServices
{
    public static IServiceCollection AddBazaar(this IServiceCollection services, IConfiguration config, IHostEnvironment env)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemCodes.Fill);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.Configure<SeedOptions>(config.GetSection("Seed"));
        services.AddBazaarOpenApi();
        services.AddHostedService<StartupTrim>();

        services.AddData(config);
        services.AddRedisLimits(config);
        services.AddOutbox(config);
        services.AddTelegramChannel(config);
        services.AddWhatsAppChannel(config);
        services.AddConversations(config);
        services.AddSandbox(config);
        services.AddAdmin(config);
        services.AddJobs(config);
        services.AddWallet(config);
        services.AddPayments(config);
        services.AddShop(config);
        services.AddChecks(config);
        services.AddRaffles(config);
        services.AddGiveaways(config);
        services.AddReferrals(config);
        services.AddBroadcasts(config);
        services.AddChannelPosts();
        services.AddGuides();
        services.AddDashboard(config);
        services.AddMiniApp(config);
        services.AddOperations(config);
        services.AddSettingsChecks();
        // Demo data goes last, after every feature's own start-up seeds.
        services.AddScoped<IStartupSeed, DemoData>();
        return services;
    }

    public static WebApplication UseBazaar(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestLimits();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapBazaarOpenApi();
        app.MapHealth();
        app.MapOperationsApi();
        app.MapAdminApi();
        app.MapOutboxApi();
        app.MapTelegramApi();
        app.MapWhatsAppApi();
        app.MapConversationsApi();
        app.MapSandboxApi();
        app.MapJobsApi();
        app.MapWalletApi();
        app.MapPaymentsApi();
        app.MapShopApi();
        app.MapChecksApi();
        app.MapRafflesApi();
        app.MapGiveawaysApi();
        app.MapReferralsApi();
        app.MapBroadcastsApi();
        app.MapChannelPostsApi();
        app.MapGuidesApi();
        app.MapDashboard();
        app.MapMiniAppApi();

        app.MapGet("/", (IServiceProvider sp) => Results.Redirect(SandboxModule.IsEnabled(sp) ? "/sandbox" : "/api-docs")).ExcludeFromDescription();
        return app;
    }
}
