using System.Buffers.Binary;

namespace CernVM.Preserve.Curation.Boot;

/// <summary>The few ELF header fields the capture reads (System V ABI, "ELF Header": e_ident, e_machine).</summary>
public static class Elf
{
    /// <summary>Reads e_machine from an ELF header (either byte order).</summary>
    public static bool TryReadMachine(ReadOnlySpan<byte> header, out ushort machine)
    {
        machine = 0;
        if (header.Length < 20 || header is not [0x7F, (byte)'E', (byte)'L', (byte)'F', ..] || header[5] is not (1 or 2))
        {
            return false;
        }

        machine = header[5] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(header[18..]) : BinaryPrimitives.ReadUInt16BigEndian(header[18..]);
        return true;
    }

    /// <summary>The architecture name of an e_machine value, as uname and Debian spell it.</summary>
    public static string MachineName(ushort machine) => machine switch
    {
        3 => "i386",
        62 => "x86_64",
        183 => "aarch64",
        40 => "arm",
        20 => "ppc",
        21 => "ppc64",
        22 => "s390",
        50 => "ia64",
        243 => "riscv",
        _ => $"elf-machine-{machine}",
    };
}
