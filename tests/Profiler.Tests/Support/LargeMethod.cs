using System.Reflection.Emit;

namespace GaLore.Profiler.Tests.Support;

/// <summary>A method whose compilation needs several MiB of JIT working memory: a dynamic method with many locals and a
/// long chain of arithmetic between them (the JIT's arena grows with locals × basic blocks).</summary>
internal static class LargeMethod
{
    public static long CompileAndRun(int locals = 600, int statements = 12000)
    {
        var method = new DynamicMethod("large", typeof(long), [typeof(long)]);
        var il = method.GetILGenerator();
        var slots = Enumerable.Range(0, locals).Select(_ => il.DeclareLocal(typeof(long))).ToArray();
        foreach (var slot in slots)
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Stloc, slot);
        }
        for (int i = 0; i < statements; i++)
        {
            var skip = il.DefineLabel();
            il.Emit(OpCodes.Ldloc, slots[i % locals]);
            il.Emit(OpCodes.Ldc_I8, (long)i);
            il.Emit(OpCodes.Bge, skip);                          // a branch per statement: many basic blocks
            il.Emit(OpCodes.Ldloc, slots[(i * 7 + 3) % locals]);
            il.Emit(OpCodes.Ldloc, slots[(i * 13 + 5) % locals]);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Stloc, slots[(i * 31 + 11) % locals]);
            il.MarkLabel(skip);
        }
        il.Emit(OpCodes.Ldloc, slots[0]);
        il.Emit(OpCodes.Ret);
        return ((Func<long, long>)method.CreateDelegate(typeof(Func<long, long>)))(1);
    }
}
