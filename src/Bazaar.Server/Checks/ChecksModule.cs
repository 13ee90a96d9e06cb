using Bazaar.Server.Channels.Sandbox;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;

namespace Bazaar.Server.Checks;

public static class ChecksModule
{
    public static IServiceCollection AddChecks(this IServiceCollection services, IConfiguration config)
    {
        services.AddScoped<CheckCredits>();
        services.AddScoped<IShopCredits>(sp => sp.GetRequiredService<CheckCredits>());
        services.AddScoped<IBalanceLines, CreditBalanceLines>();
        services.AddScoped<TariffPurchase>();
        services.AddScoped<IPaymentFulfilment, TariffPaymentFulfilment>();
        services.Configure<ChecksOptions>(config.GetSection("Checks"));
        services.AddScoped<CheckQueue>();
        services.AddScoped<IFollowSource, ExportFollowSource>();
        // One instance per job run: it paces that check's requests.
        services.AddScoped<IFollowSource, LiveFollowSource>();
        // Redirects stay visible: Instagram sends a logged-out session to its login page.
        services.AddHttpClient(LiveFollowSource.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = System.Net.DecompressionMethods.All,
            });
        services.AddScoped<CheckBot>();
        services.AddJobHandler<CheckJob>(CheckJob.JobType);
        // One check at a time with a pause between starts, unless the operator says otherwise.
        services.PostConfigure<JobsOptions>(o =>
        {
            var t = o.Types.TryGetValue(CheckJob.JobType, out var existing) ? existing : o.Types[CheckJob.JobType] = new JobTypeOptions();
            if (config[$"Jobs:Types:{CheckJob.JobType}:MaxConcurrent"] is null) t.MaxConcurrent = 1;
            if (config[$"Jobs:Types:{CheckJob.JobType}:MinIntervalSeconds"] is null) t.MinIntervalSeconds = 2;
        });
        services.AddBotRoutes(CheckBot.Register);
        services.AddScoped<IDemoSeed, CheckDemoSeed>();
        return services;
    }

    public static IEndpointRouteBuilder MapChecksApi(this IEndpointRouteBuilder app)
    {
        app.MapTariffsApi().MapChecksEndpoints();
        app.MapGet("/api/v1/checks/sample-export.zip", (IServiceProvider sp) => SandboxModule.IsEnabled(sp)
                ? Results.File(SampleExport.Build(), "application/zip", SampleExport.FileName)
                : Hosting.Problems.NotFound("sandbox_disabled", "The sample export is served while the sandbox is on."))
            .AllowAnonymous().WithTags("Checks").WithName("SampleInstagramExport")
            .WithSummary("A generated Instagram-shaped export ZIP (no real accounts) to try the check with; only while the sandbox is on");
        return app;
    }
}
