// Marks one ELF version requirement (a Vernaux entry in .gnu.version_r) weak, in place.
// Used by build/TorchSharpNative.targets as an MSBuild task and compiled into the build tests.
//
// Why: TorchSharp-cpu 0.107.0's libLibTorchSharp.so asks for GLIBCXX_3.4.32 (GCC 13) only for the symbol
// _ZSt21ios_base_library_initv, which no relocation uses. Debian 12's libstdc++ stops at 3.4.30, so the
// loader refuses the library. With VER_FLG_WEAK set on that requirement the loader only warns when the
// version is absent, and nothing changes where it exists. The patch is idempotent.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace EmotionCluster.Build
{
    public enum PatchOutcome { Patched, AlreadyWeak, NotRequired }

    public static class ElfVersionPatcher
    {
        public const ushort VerFlgWeak = 0x2;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="versionName"/>.</summary>
        public static PatchOutcome MarkVersionWeak(string path, string versionName)
        {
            byte[] elf = File.ReadAllBytes(path);
            PatchOutcome outcome = MarkVersionWeak(elf, versionName, path);
            if (outcome == PatchOutcome.Patched)
            {
                string tmp = path + ".patching";
                File.WriteAllBytes(tmp, elf);
                File.Copy(tmp, path, true); // keeps netstandard2.0 (MSBuild inline tasks) happy
                File.Delete(tmp);
            }
            return outcome;
        }

        public static PatchOutcome MarkVersionWeak(byte[] elf, string versionName, string nameForErrors = "<bytes>")
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException($"{nameForErrors}: not an ELF file");
            if (elf[4] != 2) throw new InvalidDataException($"{nameForErrors}: only 64-bit ELF is supported");
            if (elf[5] != 1) throw new InvalidDataException($"{nameForErrors}: only little-endian ELF is supported");

            long shoff = (long)U64(elf, 0x28, nameForErrors);
            int shentsize = U16(elf, 0x3A, nameForErrors);
            int shnum = U16(elf, 0x3C, nameForErrors);
            if (shentsize < 64) throw new InvalidDataException($"{nameForErrors}: bad section header size {shentsize}");

            bool found = false, changed = false;
            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (U32(elf, sh + 4, nameForErrors) != ShtGnuVerneed) continue;
                long offset = (long)U64(elf, sh + 0x18, nameForErrors);
                int link = (int)U32(elf, sh + 0x28, nameForErrors);
                uint count = U32(elf, sh + 0x2C, nameForErrors);
                long strtab = (long)U64(elf, shoff + (long)link * shentsize + 0x18, nameForErrors);

                long vn = offset;
                for (uint n = 0; n < count; n++)
                {
                    int auxCount = U16(elf, vn + 2, nameForErrors);
                    long aux = vn + U32(elf, vn + 8, nameForErrors);
                    for (int a = 0; a < auxCount; a++)
                    {
                        string name = CString(elf, strtab + U32(elf, aux + 8, nameForErrors), nameForErrors);
                        if (name == versionName)
                        {
                            found = true;
                            ushort flags = (ushort)U16(elf, aux + 4, nameForErrors);
                            if ((flags & VerFlgWeak) == 0)
                            {
                                flags |= VerFlgWeak;
                                elf[aux + 4] = (byte)(flags & 0xff);
                                elf[aux + 5] = (byte)(flags >> 8);
                                changed = true;
                            }
                        }
                        uint next = U32(elf, aux + 12, nameForErrors);
                        if (next == 0) break;
                        aux += next;
                    }
                    uint vnNext = U32(elf, vn + 12, nameForErrors);
                    if (vnNext == 0) break;
                    vn += vnNext;
                }
            }
            return changed ? PatchOutcome.Patched : found ? PatchOutcome.AlreadyWeak : PatchOutcome.NotRequired;
        }

        private static void Check(byte[] b, long at, int len, string name)
        {
            if (at < 0 || at + len > b.Length) throw new InvalidDataException($"{name}: truncated ELF (offset {at})");
        }
        private static int U16(byte[] b, long at, string n) { Check(b, at, 2, n); return b[at] | (b[at + 1] << 8); }
        private static uint U32(byte[] b, long at, string n) { Check(b, at, 4, n); return BitConverter.ToUInt32(b, (int)at); }
        private static ulong U64(byte[] b, long at, string n) { Check(b, at, 8, n); return BitConverter.ToUInt64(b, (int)at); }
        private static string CString(byte[] b, long at, string n)
        {
            Check(b, at, 1, n);
            long end = at;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
        }
    }

    /// <summary>MSBuild task: marks <see cref="VersionName"/> weak in each of <see cref="Files"/> that exists.</summary>
    public class MarkElfVersionWeak : Microsoft.Build.Utilities.Task
    {
        [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
        [Required] public string VersionName { get; set; } = "";

        public override bool Execute()
        {
            foreach (ITaskItem item in Files)
            {
                string path = item.GetMetadata("FullPath");
                if (!File.Exists(path)) continue;
                try
                {
                    PatchOutcome outcome = ElfVersionPatcher.MarkVersionWeak(path, VersionName);
                    Log.LogMessage(MessageImportance.Normal, $"{path}: {VersionName} {outcome}");
                }
                catch (Exception e)
                {
                    Log.LogError($"Could not mark {VersionName} weak in {path}: {e.Message}");
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
}
