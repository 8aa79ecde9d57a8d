using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Posix;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>The producer's identity, written into manifests and events (FORMAT.md §5.2, §7).</summary>
public static class ProducerInfo
{
    public static Producer Current { get; } = new(
        "cvmpreserve",
        typeof(ProducerInfo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0",
        PosixFs.HostName(),
        Environment.UserName);
}
