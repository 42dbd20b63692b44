"""The member's personal plan (kế hoạch cá nhân / bản đăng ký) and its commitments."""
