using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Storage.Tests;
using Xunit;

namespace CernVM.Preserve.Storage.S3.Tests;

/// <summary>The storage contract on a plain (unversioned) RGW bucket: atomic create by If-None-Match.</summary>
[Collection(RgwCollection.Name)]
public sealed class RgwObjectStoreContractTests(RgwCluster rgw) : ObjectStoreContract
{
    protected override (IObjectStore Store, IObjectStore Other) CreateStores() => RgwStores.Create(rgw, null);
}

/// <summary>The storage contract on an RGW bucket with Object Lock (versioned): atomic create by the claim scheme.</summary>
[Collection(RgwCollection.Name)]
public sealed class RgwObjectLockStoreContractTests(RgwCluster rgw) : ObjectStoreContract
{
    protected override (IObjectStore Store, IObjectStore Other) CreateStores() => RgwStores.Create(rgw, new ObjectLockRequest("compliance", 1));

    [Fact]
    public async Task Store_OnObjectLockBucket_ReportsRetentionAndVersioning()
    {
        (IObjectStore store, _) = CreateStores();
        Assert.Equal(new RetentionPolicy("compliance", TimeSpan.FromDays(1)), store.Capabilities.Retention);
        Assert.True(((S3ObjectStore)store).Versioned);
        Assert.True(store.Capabilities.AtomicCreate);
    }
}

internal static class RgwStores
{
    public static (IObjectStore Store, IObjectStore Other) Create(RgwCluster rgw, ObjectLockRequest? objectLock)
    {
        S3Settings settings = rgw.Settings(RgwCluster.NewBucket(objectLock is null ? "plain" : "locked"));
        S3ObjectStore.PrepareBucketAsync(settings, objectLock, default).GetAwaiter().GetResult();
        return (S3ObjectStore.OpenAsync(settings, default).GetAwaiter().GetResult(), S3ObjectStore.OpenAsync(settings, default).GetAwaiter().GetResult());
    }
}
