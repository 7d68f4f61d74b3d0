using FsCheck;
using Microsoft.FSharp.Core;

namespace EmotionCluster.Testing;

/// <summary>
/// FsCheck properties in xunit v3 facts: FsCheck generates the arguments of <c>property</c> (a lambda or method
/// returning bool, any number of parameters) and the fact fails with the shrunk counterexample when one returns false
/// or throws. Stands in for FsCheck.Xunit's <c>[Property]</c>, whose xunit v3 package needs xunit.v3 4.x.
/// </summary>
public static class Properties
{
    public static void Hold(int maxTest, Delegate property) =>
        Check.Method(Config.QuickThrowOnFailure.WithMaxTest(maxTest), property.Method,
            property.Target is null ? FSharpOption<object>.None : FSharpOption<object>.Some(property.Target));
}
