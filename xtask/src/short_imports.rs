//! Short names for the SPA's imports from its JS glue.
//!
//! wasm-bindgen names every function the wasm imports from the glue after the Rust item and a
//! hash (`__wbg_createElement_8c9931a732ee2fea`), and writes each name twice: in the wasm's
//! import section and as a key of the glue's imports object. Hashes do not compress: renaming
//! them `a`, `b`, … in both places took 4.2 KB brotli off the SPA.
//!
//! The wasm side is a small rewriter of the import section (the rest of the module is copied
//! byte for byte: nothing else in a module refers to an import by name). The JS side replaces
//! only a key of the imports object, and only a name that occurs exactly once in the glue, as
//! that key; any other name is kept, in both places.

use std::collections::{BTreeMap, BTreeSet};

use crate::process::Failure;

/// The id of the import section.
const IMPORT_SECTION: u8 = 2;

/// One entry of a module's import section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Import {
    /// The module it is imported from (for wasm-bindgen's glue, e.g. `./app_bg.js` or `wbg`).
    pub(crate) module: String,
    /// The name within that module.
    pub(crate) name: String,
    /// What it imports: 0 function, 1 table, 2 memory, 3 global, 4 tag.
    pub(crate) kind: u8,
}

/// Renames the function imports of `module` in `wasm` and in the glue `js`, both rewritten in
/// place. Returns how many were renamed.
pub(crate) fn shorten(wasm: &mut Vec<u8>, js: &mut String, module: &str) -> Result<usize, Failure> {
    let imports = imports(wasm)?;
    let renames = plan(&imports, js, module);
    for (old, new) in &renames {
        *js = replace_key(js, old, new)
            .ok_or_else(|| Failure::new(format!("the JS glue lost the import `{old}`")))?;
    }
    *wasm = rename_imports(wasm, |import| {
        (import.kind == 0 && import.module == module)
            .then(|| renames.get(&import.name).cloned())
            .flatten()
    })?;
    Ok(renames.len())
}

/// Old name → short name, for each function import of `module` that the glue defines once as
/// a key of its imports object and names nowhere else. Short names skip every name the module
/// keeps, so none is taken twice.
fn plan(imports: &[Import], js: &str, module: &str) -> BTreeMap<String, String> {
    let (renamed, kept): (Vec<&Import>, Vec<&Import>) = imports.iter().partition(|import| {
        import.kind == 0 && import.module == module && key_position(js, &import.name).is_some()
    });
    let taken: BTreeSet<&str> =
        kept.iter().filter(|i| i.module == module).map(|i| i.name.as_str()).collect();
    let mut short = (0..)
        .map(short_name)
        .filter(|name| !taken.contains(name.as_str()) && !is_key_anywhere(js, name));
    let mut renames = BTreeMap::new();
    for import in renamed {
        if !renames.contains_key(&import.name) {
            let name = short.next().unwrap_or_default();
            renames.insert(import.name.clone(), name);
        }
    }
    renames
}

/// The `n`th short name: `a`…`z`, `A`…`Z`, then two characters and more (a letter first, so
/// every name is a JS identifier).
fn short_name(mut n: usize) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const NEXT: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$";
    let mut name = vec![FIRST[n % FIRST.len()]];
    n /= FIRST.len();
    while n > 0 {
        n -= 1;
        name.push(NEXT[n % NEXT.len()]);
        n /= NEXT.len();
    }
    String::from_utf8(name).unwrap_or_default()
}

/// Where `name` is defined as a key of the imports object, if that is its one occurrence in
/// `js` as a whole word.
fn key_position(js: &str, name: &str) -> Option<usize> {
    let mut found = words(js, name);
    let at = found.next()?;
    (found.next().is_none() && is_key(js, at, name.len())).then_some(at)
}

/// Whether `name` is a key of an object anywhere in `js` (a short name must not be one already:
/// an object literal's later key wins).
fn is_key_anywhere(js: &str, name: &str) -> bool {
    words(js, name).any(|at| is_key(js, at, name.len()))
}

/// Whether `js[at..at + len]` is written as a key: `name: function(…` in an object literal, or
/// `imports.wbg.name = ` (the two forms wasm-bindgen has written).
fn is_key(js: &str, at: usize, len: usize) -> bool {
    let before = js[..at].trim_end_matches([' ', '\t']);
    let after = js[at + len..].trim_start_matches([' ', '\t']);
    let object_key = (before.ends_with('\n') || before.ends_with('{') || before.ends_with(','))
        && after.starts_with(':');
    let assignment =
        before.ends_with(".wbg.") && after.starts_with('=') && !after.starts_with("==");
    object_key || assignment
}

/// Where `name` occurs in `js` as a whole word.
fn words<'a>(js: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    js.match_indices(name).map(|(at, _)| at).filter(|at| is_whole_word(js, *at, name.len()))
}

/// Whether `js[at..at + len]` is not part of a longer identifier.
fn is_whole_word(js: &str, at: usize, len: usize) -> bool {
    let identifier = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    !js[..at].chars().next_back().is_some_and(identifier)
        && !js[at + len..].chars().next().is_some_and(identifier)
}

/// `js` with the key `old` renamed `new`.
fn replace_key(js: &str, old: &str, new: &str) -> Option<String> {
    let at = key_position(js, old)?;
    Some(format!("{}{new}{}", &js[..at], &js[at + old.len()..]))
}

/// The entries of the module's import section.
pub(crate) fn imports(wasm: &[u8]) -> Result<Vec<Import>, Failure> {
    let mut found = Vec::new();
    for section in sections(wasm)? {
        if section.id == IMPORT_SECTION {
            let mut reader = Reader { bytes: section.body, at: 0 };
            for _ in 0..reader.u32()? {
                found.push(reader.import()?);
            }
            reader.end()?;
        }
    }
    Ok(found)
}

/// `wasm` with each import that `rename` gives a new name renamed; every other byte kept.
pub(crate) fn rename_imports(
    wasm: &[u8],
    mut rename: impl FnMut(&Import) -> Option<String>,
) -> Result<Vec<u8>, Failure> {
    let mut out = wasm[..8].to_vec();
    for section in sections(wasm)? {
        if section.id != IMPORT_SECTION {
            out.extend_from_slice(section.whole);
            continue;
        }
        let mut reader = Reader { bytes: section.body, at: 0 };
        let count = reader.u32()?;
        let mut body = Vec::new();
        write_u32(&mut body, count);
        for _ in 0..count {
            let (import, descriptor) = reader.import_and_descriptor()?;
            let name = rename(&import).unwrap_or_else(|| import.name.clone());
            write_name(&mut body, &import.module);
            write_name(&mut body, &name);
            // The descriptor, byte for byte.
            body.extend_from_slice(descriptor);
        }
        reader.end()?;
        out.push(IMPORT_SECTION);
        write_u32(&mut out, u32::try_from(body.len()).map_err(|_| malformed("section size"))?);
        out.extend_from_slice(&body);
    }
    Ok(out)
}

/// One section of a module.
struct Section<'a> {
    id: u8,
    /// Its contents, after the id and size.
    body: &'a [u8],
    /// The section with its id and size.
    whole: &'a [u8],
}

/// The sections of a module, in order.
fn sections(wasm: &[u8]) -> Result<Vec<Section<'_>>, Failure> {
    if wasm.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
        return Err(Failure::new("not a WebAssembly 1 module"));
    }
    let mut reader = Reader { bytes: wasm, at: 8 };
    let mut sections = Vec::new();
    while reader.at < wasm.len() {
        let start = reader.at;
        let id = reader.byte()?;
        let len = reader.u32()? as usize;
        let body = reader.take(len)?;
        sections.push(Section { id, body, whole: &wasm[start..reader.at] });
    }
    Ok(sections)
}

/// A cursor over a module's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, Failure> {
        let byte = *self.bytes.get(self.at).ok_or_else(|| malformed("end of data"))?;
        self.at += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Failure> {
        let end = self.at.checked_add(len).filter(|end| *end <= self.bytes.len());
        let taken = &self.bytes[self.at..end.ok_or_else(|| malformed("end of data"))?];
        self.at += len;
        Ok(taken)
    }

    /// An unsigned LEB128 of up to 64 bits (a limit of a 64-bit memory is one).
    fn leb(&mut self) -> Result<u64, Failure> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed("LEB128 number"))
    }

    fn u32(&mut self) -> Result<u32, Failure> {
        u32::try_from(self.leb()?).map_err(|_| malformed("u32"))
    }

    fn name(&mut self) -> Result<String, Failure> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| malformed("name"))
    }

    fn import(&mut self) -> Result<Import, Failure> {
        self.import_and_descriptor().map(|(import, _)| import)
    }

    /// An import, and the bytes of its descriptor (what follows its two names).
    fn import_and_descriptor(&mut self) -> Result<(Import, &'a [u8]), Failure> {
        let module = self.name()?;
        let name = self.name()?;
        let start = self.at;
        let kind = self.byte()?;
        match kind {
            0 => drop(self.u32()?),
            1 => {
                self.ref_type()?;
                self.limits()?;
            }
            2 => self.limits()?,
            3 => {
                self.value_type()?;
                self.byte()?;
            }
            4 => {
                self.byte()?;
                self.u32()?;
            }
            _ => return Err(malformed("import kind")),
        }
        Ok((Import { module, name, kind }, &self.bytes[start..self.at]))
    }

    /// Table and memory limits: flags (max present, shared, 64-bit, page size), min, max.
    fn limits(&mut self) -> Result<(), Failure> {
        let flags = self.byte()?;
        if flags & !0x0f != 0 {
            return Err(malformed("limits"));
        }
        self.leb()?;
        if flags & 0x01 != 0 {
            self.leb()?;
        }
        if flags & 0x08 != 0 {
            self.u32()?;
        }
        Ok(())
    }

    fn value_type(&mut self) -> Result<(), Failure> {
        match self.bytes.get(self.at) {
            // i32, i64, f32, f64, v128.
            Some(0x7b..=0x7f) => drop(self.byte()?),
            _ => self.ref_type()?,
        }
        Ok(())
    }

    /// A reference type: a shorthand (funcref, externref, exnref, …) or `(ref null? ht)`.
    fn ref_type(&mut self) -> Result<(), Failure> {
        match self.byte()? {
            0x69..=0x74 => Ok(()),
            0x63 | 0x64 => self.heap_type(),
            _ => Err(malformed("reference type")),
        }
    }

    /// A heap type: an abstract one (one byte) or a type index (a signed LEB128 of 33 bits).
    fn heap_type(&mut self) -> Result<(), Failure> {
        if let Some(0x69..=0x74) = self.bytes.get(self.at) {
            self.byte()?;
            return Ok(());
        }
        // A signed LEB128 reads like an unsigned one as far as its length goes.
        self.leb().map(drop)
    }

    fn end(&self) -> Result<(), Failure> {
        if self.at == self.bytes.len() { Ok(()) } else { Err(malformed("import section size")) }
    }
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_u32(out, name.len() as u32);
    out.extend_from_slice(name.as_bytes());
}

fn malformed(what: &str) -> Failure {
    Failure::new(format!("malformed wasm module: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with a type section, the `imports`, and a custom section after them.
    fn module(imports: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        // Type section: one type, () -> ().
        wasm.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        let mut body = Vec::new();
        write_u32(&mut body, imports.len() as u32);
        for (module, name, descriptor) in imports {
            write_name(&mut body, module);
            write_name(&mut body, name);
            body.extend_from_slice(descriptor);
        }
        wasm.push(IMPORT_SECTION);
        write_u32(&mut wasm, body.len() as u32);
        wasm.extend_from_slice(&body);
        // A custom section, which must come through untouched.
        wasm.extend_from_slice(&[0, 6, 4, b'n', b'o', b't', b'e', 42]);
        wasm
    }

    const FUNC: &[u8] = &[0, 0];
    const MEMORY: &[u8] = &[2, 1, 17, 0x80, 0x01];
    const TABLE: &[u8] = &[1, 0x6f, 0, 3];
    const GLOBAL: &[u8] = &[3, 0x63, 0x70, 1];
    const TAG: &[u8] = &[4, 0, 0];

    fn named(module: &str, name: &str, kind: u8) -> Import {
        Import { module: module.into(), name: name.into(), kind }
    }

    #[test]
    fn short_names_are_identifiers_and_distinct() {
        let names: Vec<String> = (0..5000).map(short_name).collect();
        assert_eq!(&names[..3], ["a", "b", "c"]);
        assert_eq!(names[51], "Z");
        assert_eq!(names[52], "aa");
        assert_eq!(names[53], "ba");
        assert!(names[..52].iter().all(|name| name.len() == 1));
        assert!(names[52..52 + 52 * 64].iter().all(|name| name.len() == 2));
        assert!(names.iter().all(|name| name.starts_with(|c: char| c.is_ascii_alphabetic())));
        assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len());
    }

    #[test]
    fn reads_every_kind_of_import() {
        let wasm = module(&[
            ("wbg", "__wbg_log_1234", FUNC),
            ("env", "memory", MEMORY),
            ("env", "table", TABLE),
            ("env", "global", GLOBAL),
            ("env", "tag", TAG),
        ]);
        assert_eq!(
            imports(&wasm).unwrap(),
            [
                named("wbg", "__wbg_log_1234", 0),
                named("env", "memory", 2),
                named("env", "table", 1),
                named("env", "global", 3),
                named("env", "tag", 4),
            ]
        );
    }

    #[test]
    fn renames_in_the_wasm_and_keeps_every_other_byte() {
        let long = "x".repeat(200); // Its length takes two LEB128 bytes; `b`'s takes one.
        let wasm = module(&[("wbg", &long, FUNC), ("env", "memory", MEMORY), ("wbg", "f", TAG)]);
        let renamed = rename_imports(&wasm, |i| (i.kind == 0).then(|| "b".to_owned())).unwrap();
        assert_eq!(
            imports(&renamed).unwrap(),
            [named("wbg", "b", 0), named("env", "memory", 2), named("wbg", "f", 4)]
        );
        assert_eq!(
            renamed,
            module(&[("wbg", "b", FUNC), ("env", "memory", MEMORY), ("wbg", "f", TAG)])
        );
        assert_eq!(rename_imports(&wasm, |_| None).unwrap(), wasm);
    }

    #[test]
    fn keeps_a_descriptor_after_a_padded_length() {
        // `wbg`.`f`, the length of `f` written in two bytes (0x81 0x00), as an encoder may.
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend_from_slice(&[IMPORT_SECTION, 10, 1, 3, b'w', b'b', b'g', 0x81, 0, b'f', 0, 0]);
        assert_eq!(imports(&wasm).unwrap(), [named("wbg", "f", 0)]);
        let renamed = rename_imports(&wasm, |_| Some("g".to_owned())).unwrap();
        assert_eq!(renamed[8..], [IMPORT_SECTION, 9, 1, 3, b'w', b'b', b'g', 1, b'g', 0, 0]);
    }

    #[test]
    fn refuses_what_is_not_a_module() {
        assert!(imports(b"\0asm\x02\0\0\0").is_err());
        let mut cut = module(&[("wbg", "f", FUNC)]);
        cut.truncate(cut.len() - 3);
        assert!(imports(&cut).is_err());
        assert!(imports(&module(&[("wbg", "f", &[7, 0])])).is_err());
    }

    /// The glue as wasm-bindgen writes it (an object literal), with a name that is also used
    /// elsewhere and one that only contains a renamed name.
    const GLUE: &str = "\
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_log_1234: function(arg0) {
            console.log(arg0);
        },
        __wbg_now_abcd: function() { return Date.now(); },
        __wbindgen_init_externref_table: function() {},
        __wbg_used_twice: function() {},
    };
    return { __proto__: null, \"./app_bg.js\": import0 };
}
const __wbg_log_1234_extra = 1;
__wbg_used_twice();
";

    #[test]
    fn renames_the_keys_of_the_glue_and_the_module_alike() {
        let mut wasm = module(&[
            ("./app_bg.js", "__wbg_log_1234", FUNC),
            ("./app_bg.js", "__wbg_now_abcd", FUNC),
            ("./app_bg.js", "__wbindgen_init_externref_table", FUNC),
            ("./app_bg.js", "__wbg_used_twice", FUNC),
            ("./app_bg.js", "a", FUNC),
            ("env", "__wbg_now_abcd", FUNC),
        ]);
        let mut js = GLUE.to_owned();
        assert_eq!(shorten(&mut wasm, &mut js, "./app_bg.js").unwrap(), 3);
        assert_eq!(
            imports(&wasm).unwrap(),
            [
                // `a` is taken by a name that stays, so the first short name is `b`.
                named("./app_bg.js", "b", 0),
                named("./app_bg.js", "c", 0),
                named("./app_bg.js", "d", 0),
                named("./app_bg.js", "__wbg_used_twice", 0),
                named("./app_bg.js", "a", 0),
                named("env", "__wbg_now_abcd", 0),
            ]
        );
        let expected = GLUE
            .replace("__wbg_log_1234:", "b:")
            .replace("__wbg_now_abcd", "c")
            .replace("__wbindgen_init_externref_table", "d");
        assert_eq!(js, expected);
    }

    #[test]
    fn renames_the_keys_of_the_older_glue() {
        let mut js = "imports.wbg.__wbg_log_1234 = function(arg0) {};\n".to_owned();
        let mut wasm = module(&[("wbg", "__wbg_log_1234", FUNC)]);
        assert_eq!(shorten(&mut wasm, &mut js, "wbg").unwrap(), 1);
        assert_eq!(js, "imports.wbg.a = function(arg0) {};\n");
        assert_eq!(imports(&wasm).unwrap(), [named("wbg", "a", 0)]);
    }
}
