//! What kind of file system entry a path is, in words, for messages that refuse anything but a
//! regular file (outputs, and auxiliary inputs such as the region file).

use std::fs::FileType;

/// The kind of entry in words: "a regular file", "a folder", "a symbolic link", "a character
/// device", "a block device", "a pipe (FIFO)", "a socket" or "a special file".
pub fn describe(ft: &FileType) -> &'static str {
    if ft.is_file() {
        return "a regular file";
    }
    if ft.is_dir() {
        return "a folder";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_fifo() {
            return "a pipe (FIFO)";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn names_devices_folders_and_files() {
        let kind = |p: &str| describe(&std::fs::metadata(p).expect("metadata").file_type());
        assert_eq!(kind("/dev/null"), "a character device");
        assert_eq!(kind("/"), "a folder");
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").expect("write");
        assert_eq!(
            describe(&std::fs::metadata(&file).expect("m").file_type()),
            "a regular file"
        );
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        let ft = std::fs::symlink_metadata(&link).expect("m").file_type();
        assert_eq!(describe(&ft), "a symbolic link");
    }
}
